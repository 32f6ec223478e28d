import { defineConfig } from "tsup";

// ESM and CommonJS, each with its own declarations, for `payi` and `payi/errors`; the sync
// client's worker is its own ESM file beside them (dist/sync-worker.js), found by URL.
export default defineConfig({
  entry: { index: "src/index.ts", errors: "src/errors.ts", "sync-worker": "src/runtime/sync-worker.ts", cli: "src/cli.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  splitting: true,
  treeshake: true,
  external: ["undici", "synckit", "cli-progress"],
  // import.meta.url, for finding the worker, in the CommonJS build too.
  shims: true,
});
