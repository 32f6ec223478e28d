import { defineConfig } from "vitest/config";

// Three projects, by what their tests need:
// - "unit": neither the build nor the mock. `npm run test:unit` runs it in seconds.
// - "contract": one Prism serving the spec (its global setup), for the tests against the mock.
// - "package": the built dist/ as well (its global setup builds it), for the packed package,
//   the other runtimes and the built CLI.
// `npm test` runs all three; the two that need Prism share one.
const contract = [
  "test/contract/**/*.test.ts",
  "test/validation/property.test.ts",
  "test/testing/contract.test.ts",
  "test/instrument/prism.test.ts",
];
const pkg = [
  "test/package/**/*.test.ts",
  "test/runtimes/**/*.test.ts",
  "test/bundling/**/*.test.ts",
  "test/ingest/cli.test.ts",
  "test/cli/**/*.test.ts",
];
const prism = "test/helpers/prism-global-setup.ts";

/** The unit project, also what mutation testing runs (stryker.config.mjs, vitest.unit.config.ts). */
export const unit = { include: ["test/**/*.test.ts"], exclude: [...contract, ...pkg] };

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", ...unit } },
      { extends: true, test: { name: "contract", include: contract, globalSetup: [prism] } },
      {
        extends: true,
        test: { name: "package", include: pkg, globalSetup: ["test/helpers/build-global-setup.ts", prism] },
      },
    ],
  },
});
