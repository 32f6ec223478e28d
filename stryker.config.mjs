// Mutation testing of src/runtime and src/ingest with the tests that run the code without
// Prism or the build (the "unit" and "integration" projects, vitest.mutation.config.ts):
// `npm run test:mutation` (slow, not in CI). One file: `npm run test:mutation -- --mutate src/runtime/retry.ts`.
// Incremental: a rerun reuses the results of the last run with the same --mutate and tests
// only the mutants whose code or covering tests changed; `-- --force` tests them all again.
// The HTML report lands in reports/mutation/.

// One incremental file per --mutate, so that a run's report and score hold what it mutated only.
const args = process.argv.slice(2);
const at = args.findIndex((a) => a === "--mutate" || a === "-m");
const scope = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith("--mutate="))?.slice(9);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  mutate: ["src/runtime/**/*.ts", "src/ingest/**/*.ts", "!src/**/*.browser.ts"],
  ignorePatterns: ["dist", "reports", ".scratch", ".tmp", "coverage"],
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: `reports/stryker-incremental/${(scope ?? "all").replace(/[^\w.-]+/g, "_")}.json`,
  concurrency: 1,
  timeoutMS: 20_000,
  // The initial run of every test takes minutes at nice 19 on a busy machine (default: 5).
  dryRunTimeoutMinutes: 30,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
};
