// Mutation testing of src/runtime and src/ingest with the tests that run the code without
// Prism or the build (the "unit" and "integration" projects, vitest.unit.config.ts):
// `npm run test:mutation` (slow, not in CI). One file: `npm run test:mutation -- --mutate src/runtime/retry.ts`.
// Incremental: a rerun reuses what reports/stryker-incremental.json holds and tests only the
// mutants whose code or covering tests changed; `-- --force` tests them all again.
// The HTML report lands in reports/mutation/.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.unit.config.ts", related: false },
  mutate: ["src/runtime/**/*.ts", "src/ingest/**/*.ts", "!src/**/*.browser.ts"],
  ignorePatterns: ["dist", "reports", ".scratch", ".tmp", "coverage"],
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  concurrency: 1,
  timeoutMS: 20_000,
  // The initial run of every test takes minutes at nice 19 on a busy machine (default: 5).
  dryRunTimeoutMinutes: 30,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
};
