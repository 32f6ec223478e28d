// The queue's edges: options and shutdown arguments it refuses, what it says when no
// callback is set, what a full queue does at shutdown, and the timers it leaves behind.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AsyncPayi, PayiError, type Logger } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { logs, sleep, until } from "./waits.js";

const ctx = useBulkServer("queue-edges");
const client = (o: { logger?: Logger; timeout?: number } = {}) =>
  new AsyncPayi({
    apiKey: "edges-key",
    baseURL: ctx.server.url,
    maxRetries: 0,
    timeout: o.timeout ?? 5_000,
    logger: o.logger,
    logLevel: o.logger ? "debug" : "off",
  });
let spools = 0;
const fresh = () => join(ctx.dir, `spool-${++spools}`);
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};
const delivered = () => [...ctx.server.accepted.keys()].map(Number).sort((a, b) => a - b);
const stall = () => new Promise<boolean>(() => {});

// A callback the queue calls without one being set would throw where nobody catches it.
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => void uncaught.push(err);
beforeAll(() => void process.on("uncaughtException", onUncaught));
afterAll(() => void process.off("uncaughtException", onUncaught));
afterEach(() => {
  expect(uncaught.splice(0)).toEqual([]);
});

/** Timers that keep the process alive (an unref'd one is not listed). */
const liveTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("ingest.queue refuses", () => {
  it("a spool that is not a directory path, by name", () => {
    expect(() => client().ingest.queue({ spool: "" })).toThrow(
      new PayiError('ingest.queue: spool must be a directory path, got ""'),
    );
    expect(() => client().ingest.queue({ spool: 7 as never })).toThrow(
      new PayiError("ingest.queue: spool must be a directory path, got 7"),
    );
  });

  it("a spool it cannot read, and lets the directory go for a later queue", async () => {
    const dir = fresh();
    mkdirSync(join(dir, "events.jsonl"), { recursive: true });
    expect(() => client().ingest.queue({ spool: dir })).toThrow(/cannot be read \(EISDIR/);
    // Not "in use by another queue of this process": the failed queue gave the directory up.
    expect(() => client().ingest.queue({ spool: dir })).toThrow(/cannot be read \(EISDIR/);
    rmSync(join(dir, "events.jsonl"), { recursive: true });
    const q = client().ingest.queue({ spool: dir });
    await q.shutdown();
  });

  it("a shutdown timeout that is not a number of ms, and stays open", async () => {
    reset();
    const q = client().ingest.queue({ flushAt: 10 });
    for (const timeoutMs of [-1, "100", Number.NaN])
      await expect(q.shutdown({ timeoutMs: timeoutMs as number })).rejects.toThrow(
        new PayiError(`ingest.queue shutdown: timeoutMs must be a number of ms, got ${String(timeoutMs)}`),
      );
    await q.enqueue(ev(0));
    await q.shutdown({ timeoutMs: 5_000 });
    expect(delivered()).toEqual([0]);
  });
});

describe("ingest.queue with no callback set", () => {
  it("logs refused events, naming the dead-letter file when there is a spool", async () => {
    reset();
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ flushAt: 2 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1, { properties: { refuse: "yes" } }));
    await q.flush();
    const dir = fresh();
    const spooled = client({ logger: log.logger }).ingest.queue({ spool: dir, flushAt: 2 });
    await spooled.enqueue(ev(2, { properties: { refuse: "yes" } }));
    await spooled.enqueue(ev(3));
    await spooled.shutdown();
    expect(log.warnings()).toEqual([
      "ingest.queue: 1 event(s) refused (404 category_resource_not_found refused 1); no onEventError is set: they are lost.",
      `ingest.queue: 1 event(s) refused (404 category_resource_not_found refused 2); see ${join(dir, "dead-letter.jsonl")}.`,
    ]);
    expect(delivered()).toEqual([0, 3]);
  });

  it("logs a batch refused as a whole, naming the dead-letter file when there is a spool", async () => {
    reset((_req, res) => (json(res, 403, { message: "not allowed", statusCode: 403 }), true));
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ flushAt: 2 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await q.flush();
    const dir = fresh();
    const spooled = client({ logger: log.logger }).ingest.queue({ spool: dir, flushAt: 1 });
    await spooled.enqueue(ev(2));
    await spooled.shutdown();
    expect(log.warnings()).toEqual([
      "ingest.queue: a batch of 2 event(s) failed (403 not allowed); no onError is set: they are lost.",
      `ingest.queue: a batch of 1 event(s) failed (403 not allowed); see ${join(dir, "dead-letter.jsonl")}.`,
    ]);
    expect(q.stats()).toMatchObject({ failed: 2, pending: 0 });
  });

  it("counts what it drops when full", async () => {
    reset(stall);
    for (const overflow of ["drop-newest", "drop-oldest"] as const) {
      const q = client().ingest.queue({ flushAt: 10, maxQueueSize: 2, overflow });
      for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
      expect(q.stats()).toMatchObject({ accepted: 3, dropped: 1, pending: 2 });
      await q.shutdown({ timeoutMs: 0 });
    }
    await sleep(10); // a callback called while unset would throw in a microtask
  });
});

describe("ingest.queue when full", () => {
  it('with a spool and "drop-oldest", leaves the dropped event out of the spool', async () => {
    reset(stall);
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 10, maxQueueSize: 2, overflow: "drop-oldest" });
    for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
    await q.shutdown({ timeoutMs: 50 });
    reset();
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats()).toMatchObject({ accepted: 2, pending: 2 });
    await next.shutdown();
    expect(delivered()).toEqual([1, 2]);
  });

  it('with "wait", a producer waiting for room at shutdown is told the queue is shut down, and its event is not taken', async () => {
    reset(stall);
    const errors: string[] = [];
    const q = client({ timeout: 30_000 }).ingest.queue({
      flushAt: 1,
      maxQueueSize: 1,
      overflow: "wait",
      onError: (err, events) => errors.push(`${err.name} ${events.length}`),
    });
    await q.enqueue(ev(0)); // in flight, never answered
    const waiting = q.enqueue(ev(1)).catch((e) => e);
    await until(() => ctx.server.received.length === 1);
    await q.shutdown({ timeoutMs: 50 });
    const err = await waiting;
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toBe("ingest.queue: this queue is shut down.");
    expect(errors).toEqual(["APIUserAbortError 1"]);
    expect(q.stats()).toMatchObject({ accepted: 1, failed: 1, pending: 0 });
  });

  it('with "wait", a producer waits while every event is in flight, and goes on once there is room', async () => {
    reset(async () => (await sleep(100), false));
    const q = client().ingest.queue({ flushAt: 2, maxQueueSize: 2, overflow: "wait" });
    for (let n = 0; n < 5; n++) await q.enqueue(ev(n));
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("ingest.queue with a callback or a logger that throws", () => {
  it("goes on reporting and delivering the rest; the callback's error surfaces as an uncaught exception", async () => {
    reset();
    const reported: string[] = [];
    const q = client().ingest.queue({
      flushAt: 3,
      onEventError: (e) => {
        reported.push(e.message);
        throw new Error(`callback failed on ${e.message}`);
      },
    });
    await q.enqueue(ev(0, { properties: { refuse: "yes" } }));
    await q.enqueue(ev(1, { properties: { refuse: "yes" } }));
    await q.enqueue(ev(2));
    await q.flush();
    expect(reported).toEqual(["refused 0", "refused 1"]);
    expect(delivered()).toEqual([2]);
    expect(q.stats()).toMatchObject({ accepted: 3, delivered: 1, failed: 2, pending: 0 });
    await until(() => uncaught.length === 2, 3_000);
    expect(uncaught.splice(0).map((e) => (e as Error).message)).toEqual([
      "callback failed on refused 0",
      "callback failed on refused 1",
    ]);
    await q.shutdown();
  });

  it("settles a refused event once: a logger that throws does not make the queue send it again and again", async () => {
    reset();
    const logger: Logger = {
      ...logs().logger,
      warn: () => {
        throw new Error("the logger is down");
      },
    };
    const q = client({ logger }).ingest.queue({ flushAt: 1 });
    await q.enqueue(ev(0, { properties: { refuse: "yes" } })); // no onEventError: the refusal is logged
    await q.flush();
    await sleep(100);
    expect(ctx.server.received.length).toBe(1);
    expect(q.stats()).toMatchObject({ accepted: 1, delivered: 0, failed: 1, pending: 0 });
    await until(() => uncaught.length === 1, 3_000);
    expect(uncaught.splice(0).map((e) => (e as Error).message)).toEqual(["the logger is down"]);
    await q.shutdown();
  });
});

describe("ingest.queue timers", () => {
  it("a waiting event's timer does not keep the process alive; a producer waiting for room does", async () => {
    reset();
    const before = liveTimers();
    const q = client().ingest.queue({ flushAt: 10, flushInterval: 300, maxQueueSize: 2, overflow: "wait" });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // full: both wait for their age
    expect(liveTimers()).toBe(before);
    const producer = q.enqueue(ev(2));
    await until(() => liveTimers() === before + 1, 2_000);
    await producer; // the two were sent by age: room
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2]);
  });

  it("work where timers are numbers (Deno, browsers): by age, and with a producer waiting for room", async () => {
    reset();
    // The queue's timers as such runtimes give them: numbers, with no ref() or unref(). (Node's own
    // modules, the HTTP client's included, keep theirs.)
    const real = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
    const byId = new Map<number, ReturnType<typeof setTimeout>>();
    // Called by the queue itself: the frame below this stub's.
    const fromQueue = () => /ingest[\\/]queue\.ts/.test(new Error().stack?.split("\n")[3] ?? "");
    let numbered = 0;
    vi.stubGlobal("setTimeout", (fn: () => void, ms?: number) => {
      const timer = real.set(fn, ms);
      if (!fromQueue()) return timer;
      byId.set(++numbered, timer);
      return numbered;
    });
    vi.stubGlobal("clearTimeout", (t: unknown) =>
      real.clear(typeof t === "number" ? byId.get(t) : (t as ReturnType<typeof setTimeout>)),
    );
    try {
      const q = client().ingest.queue({ flushAt: 10, flushInterval: 100, maxQueueSize: 1, overflow: "wait" });
      await q.enqueue(ev(0)); // waits for its age
      await q.enqueue(ev(1)); // waits for room, then for its age
      await q.shutdown();
      expect(delivered()).toEqual([0, 1]);
      expect(numbered).toBeGreaterThanOrEqual(2);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("after shutdown, sends nothing more: what stayed spooled waits for the next queue", async () => {
    reset((_req, res) => (json(res, 503, { message: "down", statusCode: 503 }), true));
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 2, retryDelayMs: 100, maxRetryDelayMs: 100 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.received.length === 1);
    await q.shutdown();
    const sent = ctx.server.received.length;
    await sleep(400);
    expect(ctx.server.received.length).toBe(sent);
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });
});
