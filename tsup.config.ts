import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Options } from "tsup";

/**
 * For browser builds, a module `x.ts` with a sibling `x.browser.ts` is replaced by it: that
 * is how Node-only code (files, undici) stays out of browser bundles.
 */
const browserVariants: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "browser-variants",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === "entry-point") return undefined;
      const base = resolve(args.resolveDir, args.path).replace(/\.js$/, "");
      const variant = `${base}.browser.ts`;
      return existsSync(variant) && !args.importer.endsWith(".browser.ts") ? { path: variant } : undefined;
    });
  },
};

/** The package's version, for the user-agent the Node transport sends (node-transport.ts). */
const define = { __PAYI_VERSION__: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version) };

const nodeEntries = {
  index: "src/index.ts",
  errors: "src/errors/index.ts",
  instrument: "src/instrument/index.ts",
  "sync-worker": "src/runtime/sync-worker.ts",
  cli: "src/cli.ts",
  testing: "src/testing/index.ts",
  "testing-server": "src/testing/server-worker.ts",
};
/** Entries that run as threads or commands, which nobody imports: no declarations for them. */
const threads = new Set(["sync-worker", "cli", "testing-server"]);

export default defineConfig([
  // ESM and CommonJS, each with its own declarations, for `payi`, `payi/errors` and
  // `payi/instrument` (Node and server runtimes only: it needs AsyncLocalStorage); the sync
  // client's worker is its own ESM file beside them (dist/sync-worker.js), found by URL, and so
  // is the server thread of `payi/testing` (Node only; dist/testing-server.js).
  {
    entry: nodeEntries,
    format: ["esm", "cjs"],
    dts: { entry: Object.fromEntries(Object.entries(nodeEntries).filter(([name]) => !threads.has(name))) },
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
    splitting: true,
    treeshake: true,
    external: ["undici", "synckit", "cli-progress"],
    // import.meta.url, for finding the worker, in the CommonJS build too.
    shims: true,
    define,
  },
  // What the `browser` export condition serves (bundlers for browsers and edge runtimes):
  // the same API with the browser variants, ESM only; the declarations are the ones above.
  {
    entry: { index: "src/index.ts", errors: "src/errors/index.ts" },
    outDir: "dist/browser",
    format: ["esm"],
    dts: false,
    sourcemap: true,
    target: "es2022",
    platform: "browser",
    splitting: true,
    treeshake: true,
    external: ["undici", "synckit", "cli-progress"],
    esbuildPlugins: [browserVariants],
  },
]);
