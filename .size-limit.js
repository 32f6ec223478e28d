// `npm run size`: the budget of issue 7, checked in CI. What a browser app that imports only
// AsyncPayi ships, minified and gzipped, dynamic imports (the schemas) included.
export default [
  {
    name: "AsyncPayi only (browser bundle, minified, gzipped)",
    path: "dist/index.js",
    import: "{ AsyncPayi }",
    gzip: true,
    // The target is 25 kB; this budget is today's size plus a little, so a regression fails CI (bench/README.md).
    limit: "26.2 kB",
    modifyEsbuildConfig: (config) => ({ ...config, format: "esm", platform: "browser", logLevel: "error" }),
  },
];
