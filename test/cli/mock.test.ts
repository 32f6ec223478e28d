// `payi mock` (and `npm run mock`, the same code): prints the URL once the mock answers,
// serves the shipped document, and stops cleanly on SIGTERM and Ctrl-C.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort, PRISM_VERSION, prismEngineMismatch } from "../../src/cli/prism.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Starts the command and resolves with its first stdout line, the URL it printed. */
function start(args: string[], entry: "dist" | "npm-run-mock") {
  const argv =
    entry === "dist"
      ? [join(root, "dist/cli.js"), "mock", ...args]
      : ["--import", "tsx", join(root, "scripts/mock.ts"), ...args];
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const printed = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c) => {
      stdout += c;
      const m = /listening on (\S+)/.exec(stdout);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)));
  });
  /** Stops it as Ctrl-C would, so its Prism goes with it (a SIGKILL would leave Prism running). */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return { child, printed, exited, stop, output: () => stdout + stderr };
}

describe("payi mock", () => {
  it("prints the URL once the mock answers, serves the document, and stops on SIGTERM", async () => {
    const port = await freePort();
    const mock = start(["--port", String(port), "--quiet"], "dist");
    try {
      const url = await mock.printed;
      expect(url).toBe(`http://127.0.0.1:${port}`);
      // Printed means answering: no wait needed before the first request.
      const res = await fetch(`${url}/api/v1/limits/lim_1`, { headers: { "xProxy-api-key": "k" } });
      expect(res.status).toBe(200);
      expect((await res.json()).limit.limit_id).toBe("lim_7d3f2a9c");
      mock.child.kill("SIGTERM");
      expect(await mock.exited).toBe(0);
      expect(mock.output()).toMatch(/stopped/);
      // Prism went with it: nothing listens on the port any more.
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await mock.stop();
    }
  }, 60_000);

  it("is what `npm run mock` runs, and stops on Ctrl-C (SIGINT)", async () => {
    const port = await freePort();
    const mock = start(["--port", String(port), "--host", "127.0.0.1"], "npm-run-mock");
    try {
      const url = await mock.printed;
      const res = await fetch(`${url}/api/v1/limits`, { headers: { "xProxy-api-key": "k" } });
      expect(res.status).toBe(200);
      mock.child.kill("SIGINT");
      expect(await mock.exited).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await mock.stop();
    }
  }, 60_000);

  it("refuses a port that is not one, with its usage", async () => {
    const mock = start(["--port", "eighty"], "dist");
    await expect(mock.printed).rejects.toThrow();
    expect(await mock.exited).toBe(2);
    expect(mock.output()).toMatch(/--port takes a port number .*"eighty"[\s\S]*Usage: payi mock/);
  });

  it("says why when the port is taken", async () => {
    const port = await freePort();
    const first = start(["--port", String(port), "--quiet"], "dist");
    try {
      await first.printed;
      const second = start(["--port", String(port), "--quiet"], "dist");
      await expect(second.printed).rejects.toThrow();
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(/payi mock: Prism exited/);
      await first.stop();
      await expect(fetch(`http://127.0.0.1:${port}`)).rejects.toThrow();
    } finally {
      await first.stop();
    }
  }, 60_000);
});

describe("the Prism it runs", () => {
  it("is the pinned release, the one the command tells users to install, and an optional peer", () => {
    expect(pkg.devDependencies["@stoplight/prism-cli"]).toBe(PRISM_VERSION);
    expect(pkg.peerDependencies["@stoplight/prism-cli"]).toBe(`^${PRISM_VERSION}`);
    expect(pkg.peerDependenciesMeta["@stoplight/prism-cli"]).toEqual({ optional: true });
    expect(createRequire(import.meta.url)("@stoplight/prism-cli/package.json").version).toBe(PRISM_VERSION);
  });

  it("accepts every Node the package supports", () => {
    const prism = createRequire(import.meta.url)("@stoplight/prism-cli/package.json");
    const needs = /^>=\s*(\d+)/.exec(prism.engines.node);
    const supports = /^>=\s*(\d+)/.exec(pkg.engines.node);
    expect(Number(needs![1])).toBeLessThanOrEqual(Number(supports![1]));
  });

  it("the command warns, with what to install, when the installed Prism asks for a later Node", () => {
    // The pinned release asks for Node >=18.20.1.
    expect(prismEngineMismatch("18.20.1")).toBeUndefined();
    expect(prismEngineMismatch(process.versions.node)).toBeUndefined();
    expect(prismEngineMismatch("18.19.9")).toMatch(
      /Prism 5\.14\.2 asks for Node >=18\.20\.1 and this is Node 18\.19\.9[\s\S]*npm install --save-dev @stoplight\/prism-cli@5\.14\.2/,
    );
    expect(prismEngineMismatch("17.9.0")).toMatch(/asks for Node/);
  });
});
