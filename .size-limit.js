// `npm run size`: the budget of issue 7, checked in CI. What a browser app that imports only
// AsyncPayi ships (the package's `browser` build, as bundlers for browsers resolve it),
// minified and gzipped, the schemas it loads on first call included.
export default [
  {
    name: "AsyncPayi only (browser bundle, minified, gzipped)",
    path: "dist/browser/index.js",
    import: "{ AsyncPayi }",
    gzip: true,
    limit: "25 kB",
    modifyEsbuildConfig: (config) => ({ ...config, format: "esm", platform: "browser", logLevel: "error" }),
  },
];
