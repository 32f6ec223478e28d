import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Five projects, by what their tests need. A new test file lands in "unit" unless a list below
// names it: keep it fast (answers at once, no real waits), or add it to the list that fits.
// - "unit": neither the build nor the mock, and no real waits. `npm run test:unit`, in seconds:
//   its files share workers, so node_modules and globals, each with the SDK's modules afresh
//   (test/helpers/fresh-modules.ts).
// - "integration": no build or mock either, but real time and real processes: local servers
//   that stall or make the client or a provider SDK wait (retries, backoff, timeouts, stalled
//   batches), the garbage collector, child processes (kills, exits), the sync client's worker
//   thread, large bodies, property runs.
// - "types": what the TypeScript compiler says (the README's samples, an editor's hovers).
// - "contract": one Prism serving the spec (its global setup), for the tests against the mock.
// - "package": the built dist/ as well (its global setup builds it), for the packed package,
//   the other runtimes and the built CLI.
// `npm test` runs all five; the two that need Prism share one.
const integration = [
  "test/runtime/retries.test.ts",
  "test/runtime/timeouts.test.ts",
  "test/runtime/transport.test.ts",
  "test/runtime/response-size.test.ts",
  "test/runtime/process-exit.test.ts",
  "test/runtime/attempt-deadline.test.ts",
  "test/runtime/connect-timeout.test.ts",
  "test/runtime/node-response.test.ts",
  "test/ingest/queue.test.ts",
  "test/ingest/queue-flush.test.ts",
  "test/ingest/queue-shutdown.test.ts",
  "test/ingest/queue-exit.test.ts",
  "test/ingest/durability.test.ts",
  "test/ingest/spool.test.ts",
  "test/sync/**/*.test.ts",
  "test/testing/mock.test.ts",
  "test/instrument/delivery.test.ts",
  "test/instrument/flush.test.ts",
  "test/instrument/abort.test.ts",
  "test/instrument/abandoned.test.ts",
  "test/instrument/unread.test.ts",
  "test/instrument/bedrock-open.test.ts",
  "test/instrument/ai-sdk-open.test.ts",
  "test/validation/hostile-input.test.ts",
];
const types = ["test/docs/**/*.test.ts"];
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

export const unit = { include: ["test/**/*.test.ts"], exclude: [...integration, ...types, ...contract, ...pkg] };

/** What mutation testing runs (vitest.mutation.config.ts): every test that runs the code, without Prism or the build. */
export const mutation = { include: ["test/**/*.test.ts"], exclude: [...types, ...contract, ...pkg] };

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // "unit" waits for nothing: it runs first, a file per core. The others keep vitest's default
    // (cores - 1), which leaves their waits and timeouts a core to spare.
    sequence: { groupOrder: 1 },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          ...unit,
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 0 },
          // Files share a worker, each with the SDK's modules afresh (test/helpers/fresh-modules.ts).
          isolate: false,
          setupFiles: ["test/helpers/fresh-modules.ts"],
        },
      },
      { extends: true, test: { name: "integration", include: integration } },
      { extends: true, test: { name: "types", include: types } },
      { extends: true, test: { name: "contract", include: contract, globalSetup: [prism] } },
      {
        extends: true,
        test: { name: "package", include: pkg, globalSetup: ["test/helpers/build-global-setup.ts", prism] },
      },
    ],
  },
});
