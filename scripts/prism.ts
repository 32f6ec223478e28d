/**
 * Prism serving the spec: used by `npm run mock`, the test-suite's global setup and the demo.
 * Prism has no readiness endpoint, so readiness is its "listening" line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SPEC_PATH = join(root, "openapi/payi.openapi.yaml");

export interface MockServer {
  url: string;
  port: number;
  stop(): Promise<void>;
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

export async function startMock(options: { port?: number; spec?: string; timeoutMs?: number; log?: (line: string) => void } = {}): Promise<MockServer> {
  const port = options.port ?? (await freePort());
  const bin = join(dirname(createRequire(import.meta.url).resolve("@stoplight/prism-cli/package.json")), "dist/index.js");
  const child: ChildProcess = spawn(process.execPath, [bin, "mock", "-h", "127.0.0.1", "-p", String(port), options.spec ?? SPEC_PATH], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`Prism did not start within ${options.timeoutMs ?? 30_000} ms:\n${output.join("")}`)), options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      options.log?.(text);
      if (/listening on/i.test(text)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`Prism exited with ${code} before listening:\n${output.join("")}`));
    });
  });
  // Keep draining its log so a full pipe never stalls it.
  child.stdout!.on("data", () => {});
  child.stderr!.on("data", () => {});
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
