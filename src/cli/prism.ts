/**
 * Prism serving the API's document: what `payi mock`, `npm run mock`, the test-suite and the
 * demo start. Prism is an optional peer dependency, looked up from where payi is installed.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

/** The Prism release we test against; its engines accept every Node payi supports (5.15+ ask for Node 24). */
export const PRISM_VERSION = "5.14.2";

export const INSTALL_PRISM = `npm install --save-dev @stoplight/prism-cli@${PRISM_VERSION}`;

const require = createRequire(import.meta.url);

/** The document this package ships (`payi/openapi.yaml`), found the way Node finds the package itself. */
export const SPEC_PATH = require.resolve("payi/openapi.yaml");

export class PrismNotInstalledError extends Error {
  override name = "PrismNotInstalledError";
  constructor() {
    super(
      `the mock needs Prism (@stoplight/prism-cli), an optional peer dependency of payi. Install it with:\n  ${INSTALL_PRISM}`,
    );
  }
}

export interface MockServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface MockOptions {
  port?: number;
  /** Interface to listen on; 127.0.0.1 unless given. */
  host?: string;
  /** The document to serve; the shipped one unless given. */
  spec?: string;
  /** How long Prism may take to answer, in ms (30 000). */
  timeoutMs?: number;
  /** Receives Prism's log, before and after it is ready. */
  log?: (text: string) => void;
}

/** A free port on 127.0.0.1, as the OS hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

function prismPackage(): string {
  try {
    return require.resolve("@stoplight/prism-cli/package.json");
  } catch {
    throw new PrismNotInstalledError();
  }
}

/**
 * Why the installed Prism may not run on this Node (its `engines` ask for a later one), or
 * undefined. Prism releases after the pinned one ask for Node 24.
 */
export function prismEngineMismatch(nodeVersion = process.versions.node): string | undefined {
  const { version, engines } = require(prismPackage()) as { version: string; engines?: { node?: string } };
  const wanted = /^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines?.node?.trim() ?? "");
  if (!wanted) return undefined;
  const have = nodeVersion.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const w = Number(wanted[i + 1] ?? 0);
    if ((have[i] ?? 0) !== w) {
      return (have[i] ?? 0) > w
        ? undefined
        : `Prism ${version} asks for Node ${engines!.node} and this is Node ${nodeVersion}; if it fails, install the release payi is tested with:\n  ${INSTALL_PRISM}`;
    }
  }
  return undefined;
}

const bracket = (host: string) => (host.includes(":") ? `[${host}]` : host);
/** Where to knock to see whether Prism answers: a wildcard address is reached on loopback. */
const probeHost = (host: string) => (host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host);

/**
 * Starts Prism and resolves once it answers HTTP. Prism has no readiness endpoint: its
 * "listening" line says it bound the port (not another process), then one request says it answers.
 */
export async function startMock(options: MockOptions = {}): Promise<MockServer> {
  const bin = join(dirname(prismPackage()), "dist/index.js");
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await freePort());
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [bin, "mock", "-h", host, "-p", String(port), options.spec ?? SPEC_PATH], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(force);
    }
  };
  // Its log keeps being drained, so a full pipe never stalls it.
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output.push(text);
    if (output.length > 200) output.shift();
    options.log?.(text);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  const deadline = Date.now() + timeoutMs;
  const failure = (why: string) => new Error(`Prism ${why}:\n${output.join("")}`);
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(failure(`did not start within ${timeoutMs} ms`)), timeoutMs);
      const watch = (chunk: Buffer) => {
        if (!/listening on/i.test(chunk.toString())) return;
        clearTimeout(timer);
        child.stdout.off("data", watch);
        ready();
      };
      child.stdout.on("data", watch);
      void exited.then((code) => {
        clearTimeout(timer);
        fail(failure(`exited with ${code} before listening`));
      });
    });
    const url = `http://${bracket(host)}:${port}`;
    const probe = `http://${bracket(probeHost(host))}:${port}/`;
    for (;;) {
      try {
        await (await fetch(probe, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
        break;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw failure(`does not answer at ${url} (${(err as Error).message})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { url, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
