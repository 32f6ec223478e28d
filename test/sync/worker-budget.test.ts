// How long Payi waits for its worker: the call's budget is every attempt the call may make,
// every wait between them (a server may ask for up to 60 s) and 5 s more, from the call's
// options or the client's. A worker that does not answer within it is stopped and replaced.
// Budgets of a minute or more are driven by a clock that runs fast, so no test waits them out.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Payi, PayiError, Timeout } from "../../src/index.js";
import { workerSettings, workerStats } from "../../src/runtime/sync-bridge.js";
import { fastClock } from "../helpers/fast-clock.js";
import { forkServer } from "../helpers/fork-server.js";

let child: ChildProcess;
let url: string;
beforeAll(async () => {
  ({ child, url } = await forkServer());
  // A worker that hangs on request (`x-fault: hang`).
  workerSettings.script = fileURLToPath(new URL("../fixtures/sync-worker-fault.mjs", import.meta.url));
});
afterAll(() => void child.kill());

const client = (o: ConstructorParameters<typeof Payi>[0] = {}) =>
  new Payi({ apiKey: "sk-sync-budget-0123456789", baseURL: url, logLevel: "off", ...o });
const hang = { headers: { "x-fault": "hang" } };
/** One attempt: at most 200 ms, and 100 ms to connect. */
const attempt = new Timeout({ timeout: 200, connect: 100 });

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
};
const overran = (ms: number) =>
  new PayiError(
    `The sync client's worker did not answer within ${ms} ms; it was stopped, and the next call starts a new one.`,
  );

describe("Payi's budget for a call", () => {
  it("with the client's maxRetries of 1 and the call's own timeout: two attempts, one wait of up to 60 s, and 5 s", () => {
    const c = client({ maxRetries: 1 });
    c.ingest.units({ category: "system.openai", units: {} });
    const started = workerStats().started;
    // 2 × 300 + 60,000 + 5,000.
    expect(
      fastClock(10_000, () => thrown(() => c.limits.reset({ limit_id: "x" }, { timeout: attempt, ...hang }))),
    ).toEqual(overran(65_600));
    expect(c.limits.reset({ limit_id: "after" }).request_id).toBe("after");
    expect(workerStats().started).toBe(started + 1);
  });

  it("with the client's maxRetries of 1 and its timeout, for a call without options of its own", () => {
    const c = client({ maxRetries: 1, timeout: attempt, defaultHeaders: { "x-fault": "hang" } });
    expect(fastClock(10_000, () => thrown(() => c.limits.reset({ limit_id: "x" })))).toEqual(overran(65_600));
  });

  it("with the default of 2 retries when neither the client nor the call says", () => {
    // 3 × 300 + 2 × 60,000 + 5,000.
    expect(
      fastClock(10_000, () => thrown(() => client().limits.reset({ limit_id: "x" }, { timeout: attempt, ...hang }))),
    ).toEqual(overran(125_900));
  });

  it("with the call's maxRetries over the client's", () => {
    // 1 × 300 + 5,000: the call's 0 retries, not the client's 3.
    expect(
      fastClock(1_000, () =>
        thrown(() =>
          client({ maxRetries: 3 }).limits.reset({ limit_id: "x" }, { timeout: attempt, maxRetries: 0, ...hang }),
        ),
      ),
    ).toEqual(overran(5_300));
  });

  it("a body held by a worker stopped for overrunning cannot be read after, and says why", () => {
    const c = client({ maxRetries: 0 });
    const held = c.withStreamingResponse.limits.reset({ limit_id: "held" });
    expect(
      fastClock(1_000, () => thrown(() => c.limits.reset({ limit_id: "x" }, { timeout: attempt, ...hang }))),
    ).toEqual(overran(5_300));
    expect(() => held.text()).toThrow(
      new PayiError(
        "The sync client's worker stopped (it overran a call's budget) while a call was waiting; the next call starts a new worker.",
      ),
    );
    expect(c.limits.reset({ limit_id: "after" }).request_id).toBe("after");
  });
});
