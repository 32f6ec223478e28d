// Payi's worker thread: one per process whatever the calls' budgets, client state released,
// and a worker that dies mid-call noticed at once, the next call getting a fresh one.
import type { ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Payi, PayiError, PayiValidationError, Timeout } from "../../src/index.js";
import { workerSettings, workerStats } from "../../src/runtime/sync-bridge.js";
import { workerTables } from "../../src/runtime/sync-client.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { operationFixtures } from "../fixtures/operations.js";
import { fastClock } from "../helpers/fast-clock.js";
import { forkServer } from "../helpers/fork-server.js";

const KEY = "sk-sync-worker-0123456789";
let child: ChildProcess;
let url: string;
beforeAll(async () => {
  ({ child, url } = await forkServer());
  // A worker that can be made to die on request, with a small heap to run out of.
  workerSettings.script = fileURLToPath(new URL("../fixtures/sync-worker-fault.mjs", import.meta.url));
  workerSettings.resourceLimits = { maxOldGenerationSizeMb: 48 };
});
afterAll(() => void child.kill());
const client = (o: ConstructorParameters<typeof Payi>[0] = {}) =>
  new Payi({ apiKey: KEY, baseURL: url, logLevel: "off", ...o });
/** OS threads of this process (Linux). */
const threads = () => readdirSync("/proc/self/task").length;
const event = { category: "system.openai", units: { text: { input: 1 } } };

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

describe("Payi's worker", () => {
  it("is one per process: per-call timeouts and retries travel with the call, and no thread piles up", () => {
    const c = client();
    c.ingest.units(event);
    const [started, before] = [workerStats().started, threads()];
    for (let i = 0; i < 40; i++) {
      expect(c.ingest.units(event, { timeout: 10_000 + i, maxRetries: i % 4 }).request_id).toMatch(/^req_none_/);
    }
    expect(workerStats().started).toBe(started);
    // Generous: the point is not one thread (or more) per distinct budget.
    expect(threads() - before).toBeLessThanOrEqual(2);
  });

  it("releases a client's state in the worker when the client is garbage-collected", async () => {
    const base = workerTables().clients;
    (() => {
      for (let i = 0; i < 30; i++) client({ defaultHeaders: { "x-test-id": `gc${i}` } }).ingest.units(event);
    })();
    expect(workerTables().clients).toBeGreaterThanOrEqual(Math.min(base + 30, workerTables().maxClients));
    // The registry's callbacks run on the event loop, after a collection.
    for (let i = 0; i < 20 && workerTables().clients > base; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(workerTables().clients).toBeLessThanOrEqual(base);
  });

  it("drops a streamed body nobody read once its response is garbage-collected", async () => {
    const base = workerTables().streams;
    (() => {
      for (let i = 0; i < 5; i++) client().withStreamingResponse.limits.reset({ limit_id: `s${i}` });
    })();
    expect(workerTables().streams).toBe(base + 5);
    for (let i = 0; i < 20 && workerTables().streams > base; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(workerTables().streams).toBe(base);
  });

  it("holds a bounded number of clients' state while they live; one dropped gets it back on its next call", () => {
    const MAX_CLIENTS = workerTables().maxClients;
    const live = Array.from({ length: MAX_CLIENTS + 20 }, (_, i) =>
      client({ defaultHeaders: { "x-test-id": `live${i}` } }),
    );
    for (const c of live) c.ingest.units(event);
    expect(workerTables().clients).toBe(MAX_CLIENTS);
    // The first one was dropped the longest ago; its options cross again, and its headers with them.
    expect(live[0].ingest.units(event).request_id).toBe("req_live0_2");
  });

  it("refuses params that cannot cross to the worker with a PayiValidationError naming the field", () => {
    const params = Object.defineProperty({ category: "c", units: {} }, "resource", {
      enumerable: true,
      get: () => {
        throw new Error("boom");
      },
    });
    expect(() => client().ingest.units(params)).toThrow(PayiValidationError);
    expect(() => client().ingest.units(params)).toThrow(/resource: could not be read/);
    expect(() => client().ingest.units({ ...event, properties: { f: (() => 1) as never } })).toThrow(
      /properties\.f: a function/,
    );
  });

  it("refuses per-call options that cannot cross to the worker with a PayiValidationError, nothing sent", async () => {
    const before = (await (await fetch(`${url}/__stats`)).json())["/api/v1/limits/x/reset"] ?? 0;
    expect(() => client().limits.reset({ limit_id: "x" }, { headers: { "x-a": (() => "1") as never } })).toThrow(
      new PayiValidationError("client.limits.reset", [
        { path: "", message: "cannot be copied to the sync client's worker thread" },
      ]),
    );
    expect((await (await fetch(`${url}/__stats`)).json())["/api/v1/limits/x/reset"] ?? 0).toBe(before);
  });

  it("refuses hostile params for any operation with a PayiValidationError, nothing sent, the params untouched", async () => {
    const total = async () =>
      Object.values((await (await fetch(`${url}/__stats`)).json()) as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
    const before = await total();
    const c = client({ maxRetries: 0 });
    const loop: Record<string, unknown> = {};
    loop.loop = loop;
    const hostile: [unknown, string][] = [
      [loop, ".loop"],
      [
        Object.defineProperty({}, "x", {
          enumerable: true,
          get: () => {
            throw new Error("getter");
          },
        }),
        ".x",
      ],
      [new Map([["a", 1]]), ""],
      [Symbol("s"), ""],
      [() => 1, ""],
      [{ deep: [1n] }, ".deep.0"],
    ];
    const ids = Object.keys(operations) as OperationId[];
    for (let run = 0; run < 120; run++) {
      const id = ids[run % ids.length];
      const names = [...Object.keys(operationFixtures[id].full), "not_a_field"];
      const name = names[(run * 7) % names.length];
      const [value, at] = hostile[run % hostile.length];
      const params =
        run % 2
          ? Object.assign(Object.create(null), operationFixtures[id].full, { [name]: value })
          : { ...operationFixtures[id].full, [name]: value };
      const shown = inspect(params, { depth: Infinity, showHidden: true });
      let err: unknown;
      try {
        (id.split(".").reduce((node: any, part) => node[part], c) as (p: unknown) => unknown)(params);
      } catch (e) {
        err = e;
      }
      expect(err, `${id} with ${name}: ${String(err)}`).toBeInstanceOf(PayiValidationError);
      expect((err as PayiValidationError).issues.map((i) => i.path)).toContain(name + at);
      expect(inspect(params, { depth: Infinity, showHidden: true })).toBe(shown);
    }
    expect(await total()).toBe(before);
  });

  for (const fault of ["exit", "oom"] as const) {
    it(`that dies mid-call (${fault}) fails the call at once with a clear error, and the next call gets a fresh worker`, () => {
      const c = client({ maxRetries: 0, timeout: 30_000 });
      c.ingest.units(event);
      const started = workerStats().started;
      const t0 = Date.now();
      let err: unknown;
      try {
        // On a clock that runs fast, a worker whose death went unnoticed would fail at its budget within seconds.
        fastClock(500, () => c.limits.reset({ limit_id: "stall" }, { headers: { "x-fault": fault } }));
      } catch (e) {
        err = e;
      }
      const took = Date.now() - t0;
      expect(err).toBeInstanceOf(PayiError);
      expect((err as Error).message).toMatch(/worker stopped .*next call starts a new worker/);
      // Within a second of dying (it dies 100 ms in): nowhere near the 30 s timeout. Generous against load.
      expect(took).toBeLessThan(2_500);
      expect(c.limits.reset({ limit_id: "after" }).request_id).toBe("after");
      expect(workerStats().started).toBe(started + 1);
    });
  }

  it("that dies mid-call says its thread ended, and is not running until the next call starts one", () => {
    const c = client({ maxRetries: 0 });
    expect(() =>
      fastClock(500, () => c.limits.reset({ limit_id: "stall" }, { headers: { "x-fault": "exit" } })),
    ).toThrow(
      "The sync client's worker stopped (its thread ended (it exited, was terminated or ran out of memory)) while a call was waiting; the next call starts a new worker.",
    );
    expect(workerStats().running).toBe(false);
    c.ingest.units(event);
    expect(workerStats().running).toBe(true);
  });

  it("that exits between calls fails the read of a body it held with its exit code", async () => {
    const c = client({ maxRetries: 0 });
    const streamed = c.withStreamingResponse.limits.reset(
      { limit_id: "held" },
      { headers: { "x-fault": "exit-after" } },
    );
    const started = workerStats().started;
    // Its exit code reaches this thread on the event loop, after its thread ended.
    for (let i = 0; i < 100 && workerStats().running; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    expect(() => streamed.text()).toThrow(
      "The sync client's worker stopped (it exited with code 7) while a call was waiting; the next call starts a new worker.",
    );
    expect(c.limits.reset({ limit_id: "after" }).request_id).toBe("after");
    expect(workerStats().started).toBe(started + 1);
  });

  it("that exits between calls fails a read made before its exit code arrives, saying its thread ended", () => {
    const c = client({ maxRetries: 0 });
    const streamed = c.withStreamingResponse.limits.reset(
      { limit_id: "held" },
      { headers: { "x-fault": "exit-after" } },
    );
    // Waiting without yielding to the event loop: the worker's exit is seen, its exit code not yet.
    const until = Date.now() + 10_000;
    while (workerStats().running && Date.now() < until);
    expect(workerStats().running).toBe(false);
    expect(() => streamed.text()).toThrow(
      new PayiError(
        "The sync client's worker stopped (its thread ended) while a call was waiting; the next call starts a new worker.",
      ),
    );
  });

  // One attempt of at most 200 + 100 ms, no retry: a budget of 300 + 5000 ms, from the call's options or the
  // client's, on a clock that runs fast (test/sync/worker-budget.test.ts has more).
  const hangs =
    "The sync client's worker did not answer within 5300 ms; it was stopped, and the next call starts a new one.";
  const attempt = new Timeout({ timeout: 200, connect: 100 });

  it("that never answers is stopped at the end of the call's budget (its attempts, its waits and 5 s), and replaced", () => {
    const c = client({ maxRetries: 0 });
    c.ingest.units(event);
    const started = workerStats().started;
    expect(() =>
      fastClock(1_000, () => c.limits.reset({ limit_id: "x" }, { timeout: attempt, headers: { "x-fault": "hang" } })),
    ).toThrow(hangs);
    expect(c.limits.reset({ limit_id: "after" }, { timeout: attempt }).request_id).toBe("after");
    expect(workerStats().started).toBe(started + 1);
  });

  it("that never answers a call without options of its own is stopped at the client's budget", () => {
    const c = client({ maxRetries: 0, timeout: attempt, defaultHeaders: { "x-fault": "hang" } });
    expect(() => fastClock(1_000, () => c.limits.reset({ limit_id: "x" }))).toThrow(hangs);
  });

  it("whose script fails while loading fails the call at once, not at the end of its budget", () => {
    const script = workerSettings.script;
    // The running worker stops, so that the next call starts one from the failing script.
    expect(() => client().limits.reset({ limit_id: "stall" }, { headers: { "x-fault": "exit" } })).toThrow(PayiError);
    workerSettings.script = fileURLToPath(new URL("../fixtures/sync-worker-load-fault.mjs", import.meta.url));
    try {
      const t0 = Date.now();
      expect(() => fastClock(500, () => client({ timeout: 30_000 }).limits.reset({ limit_id: "x" }))).toThrow(
        "The sync client's worker stopped (its thread ended (it exited, was terminated or ran out of memory)) while a call was waiting; the next call starts a new worker.",
      );
      // Generous against load: the budget is minutes.
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      workerSettings.script = script;
    }
  });
});
