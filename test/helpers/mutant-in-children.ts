// Setup of the tests under Stryker (vitest.mutation.config.ts). The mutant under test is
// active in this thread only; code the tests run in a worker thread (the sync client's) or a
// child process reads it from this variable, which Stryker's instrumented code checks.
// The sync client's worker also hands back the coverage it gathers (sync-worker-coverage.mjs):
// without it, what runs only there would count as covered by no test, and never be tried.
import { chmodSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { BroadcastChannel } from "node:worker_threads";
import { afterAll, afterEach, beforeAll } from "vitest";

type Hits = Record<string, number>;
interface StrykerState {
  activeMutant?: string;
  currentTestId?: string;
  mutantCoverage?: { static: Hits; perTest: Record<string, Hits> };
}
const global = globalThis as { __stryker__?: StrykerState };

if (process.env.STRYKER_MUTATOR_WORKER !== undefined) {
  // Stryker's sandbox is made private (0700); a test runs a child as another user, who must read it.
  chmodSync(fileURLToPath(new URL("../..", import.meta.url)), 0o755);

  const { workerSettings, workerStats } = await import("../../src/runtime/sync-bridge.js");
  // Tests that give the worker a script of their own start it through the same file.
  workerSettings.script ??= fileURLToPath(new URL("./sync-worker-coverage.mjs", import.meta.url));
  const channel = new BroadcastChannel("payi:stryker-coverage");
  channel.unref();
  channel.onmessage = (event) => {
    const { loading, hits } = (event as { data: { loading: boolean; hits: Hits } }).data;
    const ns = (global.__stryker__ ??= {});
    const cov = (ns.mutantCoverage ??= { static: {}, perTest: {} });
    // What ran while the worker loaded counts for every test (Stryker's static mutants).
    const into = loading || ns.currentTestId === undefined ? cov.static : (cov.perTest[ns.currentTestId] ??= {});
    for (const [id, n] of Object.entries(hits)) into[id] = (into[id] ?? 0) + n;
  };
  // The worker's last answer of a test is followed by its coverage: let it arrive while the test is current.
  afterEach(async () => {
    if (global.__stryker__?.activeMutant === undefined && workerStats().started > 0) await sleep(20);
  });
  afterAll(() => channel.close());
}

beforeAll(() => {
  const active = global.__stryker__?.activeMutant;
  if (active === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
  else process.env.__STRYKER_ACTIVE_MUTANT__ = active;
});
