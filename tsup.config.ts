import { defineConfig } from "tsup";

// ESM and CommonJS, each with its own declarations, for `payi` and `payi/errors`.
export default defineConfig({
  entry: { index: "src/index.ts", errors: "src/errors.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  splitting: true,
  treeshake: true,
  external: ["undici"],
});
