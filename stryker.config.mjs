// Mutation testing of src/runtime and src/ingest with the unit tests: `npm run test:mutation`
// (slow, not in CI). One file: `npm run test:mutation -- --mutate src/runtime/retry.ts`.
// The HTML report lands in reports/mutation/.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.unit.config.ts", related: false },
  mutate: ["src/runtime/**/*.ts", "src/ingest/**/*.ts", "!src/**/*.browser.ts"],
  ignorePatterns: ["dist", "reports", ".scratch", ".tmp", "coverage"],
  coverageAnalysis: "perTest",
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
};
