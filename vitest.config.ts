import { defineConfig } from "vitest/config";

// Two projects. "unit" needs neither the build nor the mock: `npm run test:unit` runs it in
// seconds. "integration" builds dist/ and starts one Prism for the run (its global setup), for
// the tests of the packed package, other runtimes, the built CLI and the contract with the mock.
// `npm test` runs both.
const integration = [
  "test/contract/**/*.test.ts",
  "test/package/**/*.test.ts",
  "test/runtimes/**/*.test.ts",
  "test/ingest/cli.test.ts",
  "test/cli/**/*.test.ts",
  "test/testing/contract.test.ts",
  "test/validation/property.test.ts",
  "test/instrument/prism.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: integration } },
      {
        extends: true,
        test: {
          name: "integration",
          include: integration,
          globalSetup: ["test/helpers/build-global-setup.ts", "test/helpers/prism-global-setup.ts"],
        },
      },
    ],
  },
});
