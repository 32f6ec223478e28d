// The built package on Bun and Deno, and AsyncPayi bundled into a page in headless Chromium,
// each talking to the local mock. Bun and Deno are fetched from the npm registry on first use
// (test/helpers/tools.ts); without the registry, outside CI, their tests skip saying so.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, inject, it, type TestContext } from "vitest";
import { RegistryUnreachable, tool, type ToolName } from "../helpers/tools.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = fileURLToPath(new URL("./script.mjs", import.meta.url));

async function runtime(name: ToolName, ctx: TestContext): Promise<string> {
  try {
    return await tool(name);
  } catch (e) {
    if (e instanceof RegistryUnreachable) ctx.skip(e.message);
    throw e;
  }
}

beforeAll(() => {
  // dist/ is built by the global setup; Chromium comes from Debian (.ci/run installs it).
  expect(existsSync(`${root}dist/sync-worker.js`)).toBe(true);
  expect(existsSync("/usr/bin/chromium")).toBe(true);
});

const expected = {
  async: "lim_7d3f2a9c",
  items: ["lim_7d3f2a9c", "lim_1b84e0d2"],
  notFound: true,
  sync: "lim_7d3f2a9c",
};

describe("runtimes", () => {
  it("Bun runs both clients", { timeout: 300_000 }, async (ctx) => {
    const out = execFileSync(await runtime("bun", ctx), [script, inject("prismURL")], { cwd: root, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual(expected);
  });

  it("Deno runs both clients", { timeout: 300_000 }, async (ctx) => {
    const out = execFileSync(
      await runtime("deno", ctx),
      ["run", "--allow-all", "--quiet", script, inject("prismURL")],
      { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } },
    );
    expect(JSON.parse(out)).toEqual(expected);
  });

  it("headless Chromium runs AsyncPayi from a bundle, and Payi's construction points to AsyncPayi", async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("./browser-page.ts", import.meta.url))],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      logLevel: "silent",
      metafile: true,
      tsconfigRaw: "{}",
    });
    // The package's browser build, not its Node build, nor the sources.
    expect(
      Object.keys(bundle.metafile.inputs)
        .filter((f) => f.startsWith("dist/"))
        .every((f) => f.startsWith("dist/browser/")),
    ).toBe(true);
    expect(Object.keys(bundle.metafile.inputs).some((f) => f.startsWith("dist/browser/"))).toBe(true);
    const js = bundle.outputFiles[0].text;
    const page = `<!doctype html><meta charset="utf-8"><title>payi</title><script type="module" src="/page.js"></script>`;
    const server = http.createServer((req, res) => {
      if (req.url!.startsWith("/stall/")) return; // never answers
      const isJs = req.url!.startsWith("/page.js");
      res.writeHead(200, { "content-type": isJs ? "text/javascript" : "text/html" });
      res.end(isJs ? js : page);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const tab = await browser.newPage();
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await tab.goto(`${origin}/?mock=${encodeURIComponent(inject("prismURL"))}`);
      const result = await tab
        .waitForFunction(() => (window as unknown as { __result?: unknown }).__result, undefined, { timeout: 15_000 })
        .then((h) => h.jsonValue());
      expect(result).toEqual({
        className: "AsyncPayi",
        guard: expect.stringMatching(/^AsyncPayi is refusing to run in a browser.*dangerouslyAllowBrowser: true/),
        requestId: "req_5f0c6a1e9b2d4c7a",
        items: ["lim_7d3f2a9c", "lim_1b84e0d2"],
        sync: expect.stringMatching(/worker threads.*AsyncPayi/),
        spool: expect.stringMatching(/^ingest\.queue's spool needs Node\.js/),
        backfillFile: expect.stringMatching(/^ingest\.backfill with files needs Node\.js/),
        timeout: "timeout",
        abort: "aborted",
      });
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
