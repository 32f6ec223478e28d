// Setup of the unit tests under Stryker (vitest.unit.config.ts). The mutant under test is
// active in this thread only; code the tests run in a worker thread (the sync client's) or a
// child process reads it from this variable, which Stryker's instrumented code checks.
import { chmodSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll } from "vitest";

if (process.env.STRYKER_MUTATOR_WORKER !== undefined) {
  // Stryker's sandbox is made private (0700); a test runs a child as another user, who must read it.
  chmodSync(fileURLToPath(new URL("../..", import.meta.url)), 0o755);
}

beforeAll(() => {
  const active = (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant;
  if (active === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
  else process.env.__STRYKER_ACTIVE_MUTANT__ = active;
});
