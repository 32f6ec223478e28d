// Where Payi's worker thread comes from: the package's own script beside the client (from
// sources, the shim that runs it with tsx); bundled, that file is left behind and Payi is
// refused at construction, with the fix, before any call.
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Payi } from "../../src/index.js";
import { workerSettings, workerStats } from "../../src/runtime/sync-bridge.js";
import { forkServer } from "../helpers/fork-server.js";

let child: ChildProcess;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "payi-worker-script-"));
beforeAll(async () => {
  ({ child, url } = await forkServer());
});
afterAll(() => {
  child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("Payi's worker script", () => {
  it("is the package's own, found beside the client when the first call starts the worker", () => {
    // Mutation testing runs the worker through a script of its own: this test is of the lookup.
    const substitute = workerSettings.script;
    workerSettings.script = undefined;
    try {
      expect(workerStats().started).toBe(0);
      const c = new Payi({ apiKey: "sk-worker-script-0123", baseURL: url, logLevel: "off" });
      const r = c.ingest.units(
        { category: "system.openai", units: { text: { input: 1 } } },
        { headers: { "x-test-id": "script" } },
      );
      expect(r.request_id).toBe("req_script_1");
      expect(workerStats().started).toBe(1);
    } finally {
      workerSettings.script = substitute;
    }
  });

  it("is left behind by a bundle: Payi is refused at construction, naming the fix", async () => {
    const entry = join(dir, "entry.ts");
    const src = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
    writeFileSync(
      entry,
      `import { Payi, PayiError } from ${JSON.stringify(src)};
let made = false;
try {
  new Payi({ apiKey: "sk-bundled-0123", baseURL: "http://127.0.0.1:9" });
  made = true;
} catch (e) {
  console.log(e instanceof PayiError ? "refused: " + e.message : "unexpected: " + String(e));
}
if (made) console.log("constructed");
`,
    );
    const outfile = join(dir, "app.mjs");
    await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outfile,
      logLevel: "silent",
      tsconfigRaw: "{}",
    });
    // Unbundled, the same construction succeeds: the script is where the client looks for it.
    expect(new Payi({ apiKey: "sk-bundled-0123", baseURL: "http://127.0.0.1:9" })).toBeInstanceOf(Payi);
    const out = execFileSync(process.execPath, [outfile], { cwd: dir, encoding: "utf8" }).trim();
    expect(out).toBe(
      "refused: Payi cannot run from a bundle: it starts a worker thread from the payi package's own file dist/sync-worker.js, which the bundle left behind. " +
        "Keep payi out of the bundle (esbuild: --external:payi; webpack: externals; Vite/Rollup: external) and install it beside it, or use AsyncPayi, which bundles.",
    );
  });

  it("is left behind by a bundle loaded in this process too: Payi is refused with the same error", async () => {
    const { Payi: Bundled, PayiError: BundledError } = await bundle("refused", { index: "src/index.ts" });
    const err = (() => {
      try {
        new Bundled({ apiKey: "sk-bundled-0123", baseURL: url });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(BundledError);
    expect(err?.message).toBe(
      "Payi cannot run from a bundle: it starts a worker thread from the payi package's own file dist/sync-worker.js, which the bundle left behind. " +
        "Keep payi out of the bundle (esbuild: --external:payi; webpack: externals; Vite/Rollup: external) and install it beside it, or use AsyncPayi, which bundles.",
    );
  });

  it("is sync-worker.js beside the client once built, as the package ships them", async () => {
    const { Payi: Built } = await bundle("built", {
      index: "src/index.ts",
      "sync-worker": "src/runtime/sync-worker.ts",
    });
    const r = new Built({ apiKey: "sk-built-0123", baseURL: url, logLevel: "off" }).ingest.units(
      { category: "system.openai", units: { text: { input: 1 } } },
      { headers: { "x-test-id": "built" } },
    );
    expect(r.request_id).toBe("req_built_1");
  });
});

/** Builds `entries` (name: source) into a folder of their own as .js files, as a build would, and loads the index. */
async function bundle(name: string, entries: Record<string, string>): Promise<typeof import("../../src/index.js")> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const outdir = join(dir, name);
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([n, src]) => [n, join(root, src)])),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir,
    outExtension: { ".js": ".js" },
    logLevel: "silent",
    tsconfigRaw: "{}",
  });
  writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module" }));
  return import(pathToFileURL(join(outdir, "index.js")).href);
}
