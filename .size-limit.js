// `npm run size`: the bundle budget, checked in CI. What a browser app that imports only
// AsyncPayi ships (the package's `browser` build, as bundlers for browsers resolve it),
// minified and gzipped, the schemas it loads on first call included. The ingest queue and
// backfill ride in it (a queue without a spool runs in browsers), about 4 kB of it.
export default [
  {
    name: "AsyncPayi only (browser bundle, minified, gzipped)",
    path: "dist/browser/index.js",
    import: "{ AsyncPayi }",
    gzip: true,
    // The input checks (header values and the key refused before sending, list answers of
    // the wrong shape, params JSON cannot carry) take about 1 kB of it; promises with
    // .withResponse()/.asResponse(), the browser guard and the per-attempt debug lines, 0.2 kB;
    // AsyncPayi as the API client with the ingest helpers plugged in from above, 0.05 kB; a
    // queue's batch of events checked when queued sent without a second check, 0.07 kB.
    limit: "28.7 kB",
    modifyEsbuildConfig: (config) => ({ ...config, format: "esm", platform: "browser", logLevel: "error" }),
  },
];
