// The package bundled for Node with esbuild, as an ESM and as a CommonJS bundle, then run
// against the mock: AsyncPayi works (undici, which cannot load in an ESM bundle, gives way to
// Node's fetch), and Payi refuses at construction, naming the fix. And what the build names.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, inject, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "payi-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(format: "esm" | "cjs"): Promise<string> {
  const outfile = join(dir, `app.${format === "esm" ? "mjs" : "cjs"}`);
  await build({
    entryPoints: [fileURLToPath(new URL("./node-entry.ts", import.meta.url))],
    bundle: true,
    format,
    platform: "node",
    target: "node20",
    outfile,
    logLevel: "silent",
    tsconfigRaw: "{}",
  });
  return outfile;
}

describe("bundled for Node with esbuild", () => {
  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: AsyncPayi works, Payi refuses at construction with the fix`, async () => {
      const file = await bundle(format);
      const out = execFileSync(process.execPath, [file, inject("prismURL")], { cwd: dir, encoding: "utf8" });
      expect(JSON.parse(out)).toEqual({
        async: "lim_7d3f2a9c",
        items: ["lim_7d3f2a9c", "lim_1b84e0d2"],
        sync: expect.stringMatching(/^refused: Payi cannot run from a bundle.*--external:payi.*AsyncPayi/),
      });
    });
  }
});

describe("the build", () => {
  it("keeps class names (stack traces say AsyncPayi, not _AsyncPayi), in ESM and CommonJS", () => {
    // Every exported class and function of every entry, named as it is exported.
    const list = `JSON.stringify(Object.entries(x).filter(([, v]) => typeof v === "function").map(([k, v]) => [k, v.name]))`;
    for (const entry of ["index", "errors", "instrument", "testing"]) {
      const esm: [string, string][] = JSON.parse(
        execFileSync(
          process.execPath,
          ["--input-type=module", "-e", `import * as x from "${root}dist/${entry}.js"; console.log(${list})`],
          { encoding: "utf8" },
        ),
      );
      const cjs: [string, string][] = JSON.parse(
        execFileSync(process.execPath, ["-e", `const x = require("${root}dist/${entry}.cjs"); console.log(${list})`], {
          encoding: "utf8",
        }),
      );
      for (const pairs of [esm, cjs]) {
        if (entry === "index")
          expect(pairs.map(([k]) => k)).toEqual(
            expect.arrayContaining(["AsyncPayi", "Payi", "APIError", "NotFoundError", "PagePromise", "Timeout"]),
          );
        expect(pairs.length).toBeGreaterThan(0);
        expect(pairs.filter(([k, name]) => k !== name)).toEqual([]);
      }
    }
  });

  it("keeps class names in the browser build too (what bundlers for browsers resolve)", () => {
    // Every exported class and function, named as it is exported: `APIError`, not `_APIError`.
    const script = (entry: string) =>
      `const x = await import("${root}dist/browser/${entry}.js");
console.log(JSON.stringify(Object.entries(x).filter(([, v]) => typeof v === "function").map(([k, v]) => [k, v.name])));`;
    for (const entry of ["index", "errors"]) {
      const pairs: [string, string][] = JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", script(entry)], { encoding: "utf8" }),
      );
      expect(pairs.map(([k]) => k)).toEqual(expect.arrayContaining(["APIError", "NotFoundError"]));
      if (entry === "index")
        expect(pairs.map(([k]) => k)).toEqual(expect.arrayContaining(["AsyncPayi", "PagePromise", "Timeout"]));
      expect(pairs.filter(([k, name]) => k !== name)).toEqual([]);
    }
  });

  it("names its declaration files plainly (no content hashes), and they import each other by those names", () => {
    const decls = readdirSync(join(root, "dist")).filter((f) => /\.d\.c?ts$/.test(f));
    expect(decls.filter((f) => /-[A-Za-z0-9_-]{8}\.d\.c?ts$/.test(f))).toEqual([]);
    for (const f of decls) {
      for (const [, spec] of readFileSync(join(root, "dist", f), "utf8").matchAll(/from '\.\/([^']+)'/g)) {
        expect(decls).toContain(spec.replace(/\.c?js$/, f.endsWith(".d.cts") ? ".d.cts" : ".d.ts"));
      }
    }
  });
});
