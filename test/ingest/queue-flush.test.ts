// When the queue sends: a full batch at once, a partial one at its age, what flush() waits
// for, and how a retry wait and a Retry-After change that.
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi, type Logger } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { logs, numbers, sleep, until, within, yielded } from "./waits.js";

const ctx = useBulkServer("queue-flush");
const client = (o: { logger?: Logger; timeout?: number } = {}) =>
  new AsyncPayi({
    apiKey: "flush-key",
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
/** The events of each request the server received, in order of arrival. */
const requests = () => ctx.server.received.map((r) => numbers(r.body));
const delivered = () => [...ctx.server.accepted.keys()].map(Number).sort((a, b) => a - b);
const down = (res: Parameters<typeof json>[0], headers: Record<string, string> = {}) => (
  json(res, 503, { message: "down", statusCode: 503 }, headers), true
);
const retryWaitBegan = (log: ReturnType<typeof logs>) => () =>
  log.warnings().some((w) => /stay in the spool and are tried again/.test(w));

describe("ingest.queue sends", () => {
  it("a batch as soon as flushAt events wait, without waiting for their age", async () => {
    reset();
    const q = client().ingest.queue({ flushAt: 3, flushInterval: 60_000 });
    for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
    await until(() => ctx.server.accepted.size === 3, 5_000);
    expect(requests()).toEqual([[0, 1, 2]]);
    await q.shutdown();
  });

  it("a partial batch once its oldest event is flushInterval old, counted from that event, not from an earlier batch", async () => {
    const arrived = new Map<number, number>();
    reset((req) => {
      for (const n of numbers(req.body)) arrived.set(n, Date.now());
      return false;
    });
    const q = client().ingest.queue({ flushAt: 2, flushInterval: 400 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // a full batch: sent at once
    await sleep(200);
    const accepted = Date.now();
    await q.enqueue(ev(2));
    await until(() => arrived.has(2));
    expect(arrived.get(2)! - accepted).toBeGreaterThanOrEqual(390);
    await q.shutdown();
  });

  it("without making enqueue() wait for the event loop while a request slot is free or no batch is full", async () => {
    let release!: () => void;
    const held = new Promise<boolean>((r) => (release = () => r(false)));
    reset(() => held);
    const q = client({ timeout: 30_000 }).ingest.queue({ flushAt: 2, concurrency: 1, flushInterval: 60_000 });
    await q.enqueue(ev(0)); // loads the schemas
    expect(await yielded(() => q.enqueue(ev(1)))).toBe(false); // a full batch, and the slot is free: sent
    await until(() => ctx.server.received.length === 1);
    expect(await yielded(() => q.enqueue(ev(2)))).toBe(false); // the slot is taken, but no batch is full
    release();
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2]);
  });
  it("making enqueue() let the event loop turn once a full batch waits and every request slot is taken", async () => {
    let release!: () => void;
    const held = new Promise<boolean>((r) => (release = () => r(false)));
    reset(() => held);
    const q = client({ timeout: 30_000 }).ingest.queue({ flushAt: 2, concurrency: 1, flushInterval: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // sent: the one slot is taken
    await until(() => ctx.server.received.length === 1);
    await q.enqueue(ev(2));
    expect(await yielded(() => q.enqueue(ev(3)))).toBe(false); // the second batch is full only now
    expect(await yielded(() => q.enqueue(ev(4)))).toBe(true);
    release();
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("ingest.queue flush()", () => {
  it("waits for the events accepted before it, not for those accepted after", async () => {
    const held = new Map<number, () => void>();
    reset(async (req) => {
      const [n] = numbers(req.body);
      await new Promise<void>((r) => held.set(n, r));
      return false;
    });
    const q = client({ timeout: 30_000 }).ingest.queue({ flushAt: 1 });
    await q.enqueue(ev(0));
    const flushed = q.flush();
    await new Promise((r) => setImmediate(r));
    await q.enqueue(ev(1));
    await until(() => held.size === 2);
    held.get(0)!();
    expect(await within(flushed, 5_000)).toBe("done");
    expect(delivered()).toEqual([0]);
    held.get(1)!();
    await q.shutdown();
    expect(delivered()).toEqual([0, 1]);
  });

  it("waits for a batch that carries its events together with later ones", async () => {
    let release: (() => void) | undefined;
    reset(async () => {
      if (!release) await new Promise<void>((r) => (release = r));
      else await sleep(100);
      return false;
    });
    const q = client({ timeout: 30_000 }).ingest.queue({ flushAt: 2, concurrency: 1, flushInterval: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // in flight, held
    await q.enqueue(ev(2)); // waits for the one request slot
    const flushed = q.flush();
    await new Promise((r) => setImmediate(r));
    await q.enqueue(ev(3)); // after the flush() call: goes out with 2
    await until(() => release !== undefined);
    release!();
    await flushed;
    expect(delivered()).toEqual([0, 1, 2, 3]);
    expect(requests()).toEqual([
      [0, 1],
      [2, 3],
    ]);
    await q.shutdown();
  });

  it("during a retry wait sends what it covers at once, at most flushAt a request and each event once; what comes later waits", async () => {
    let failed = false;
    reset((_req, res) => (failed ? false : ((failed = true), down(res))));
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({
      spool: fresh(),
      flushAt: 2,
      flushInterval: 60_000,
      retryDelayMs: 60_000,
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // refused with a 503: a wait of most of a minute begins
    await until(retryWaitBegan(log));
    await q.flush();
    expect(delivered()).toEqual([0, 1]);
    await q.enqueue(ev(2));
    await q.enqueue(ev(3));
    // Two wait, the retry wait is on, no request is in flight: the next one is taken at once.
    expect(await yielded(() => q.enqueue(ev(4)))).toBe(false);
    await sleep(150);
    expect(requests()).toEqual([
      [0, 1],
      [0, 1],
    ]);
    await q.flush();
    expect(
      requests()
        .slice(2)
        .sort((a, b) => a[0] - b[0]),
    ).toEqual([[2, 3], [4]]);
    expect([...ctx.server.accepted.values()]).toEqual([1, 1, 1, 1, 1]);
    await q.shutdown();
  });

  it("during an outage tries each event once more and resolves; the retry wait still holds", async () => {
    reset((_req, res) => down(res));
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ spool: fresh(), flushAt: 2, retryDelayMs: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(retryWaitBegan(log));
    await q.flush();
    await sleep(200);
    expect(requests()).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 0, failed: 0, pending: 2 });
    await q.shutdown();
  });

  it("during an outage with a short retry delay resolves once each event was tried, though tries go on", async () => {
    reset((_req, res) => down(res));
    const q = client().ingest.queue({ spool: fresh(), flushAt: 2, retryDelayMs: 1, maxRetryDelayMs: 1 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    expect(await within(q.flush(), 5_000)).toBe("done");
    expect(q.stats().pending).toBe(2);
    await q.shutdown({ timeoutMs: 0 });
  });

  it("waits for the events it covers that queue behind a batch sent again after a Retry-After of 0", async () => {
    let k = 0;
    reset(async (_req, res) => {
      k++;
      if (k === 1) return (await sleep(50), down(res, { "retry-after": "0" }));
      if (k === 2) await sleep(100);
      return false;
    });
    const q = client().ingest.queue({
      spool: fresh(),
      flushAt: 2,
      concurrency: 1,
      flushInterval: 60_000,
      retryDelayMs: 60_000,
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // in flight, then refused with Retry-After: 0
    await q.enqueue(ev(2)); // waits for the one request slot
    await q.flush();
    expect(delivered()).toEqual([0, 1, 2]);
    expect(requests()).toEqual([[0, 1], [0, 1], [2]]);
    await q.shutdown();
  });
  it("does not wait for later events in flight once each event it covers was tried", async () => {
    let answer!: () => void;
    const later = new Promise<void>((r) => (answer = r));
    let arrived!: () => void;
    const laterArrived = new Promise<void>((r) => (arrived = r));
    reset(async (req, res) => {
      if (numbers(req.body)[0] === 1) return (arrived(), await later, false);
      await laterArrived;
      return down(res); // 0 fails once 1 is in flight
    });
    const log = logs();
    const q = client({ logger: log.logger, timeout: 30_000 }).ingest.queue({
      spool: fresh(),
      flushAt: 1,
      concurrency: 2,
      retryDelayMs: 60_000,
    });
    await q.enqueue(ev(0));
    const flushed = q.flush();
    await new Promise((r) => setImmediate(r));
    await q.enqueue(ev(1)); // after the flush() call
    await until(retryWaitBegan(log));
    expect(await within(flushed, 3_000)).toBe("done");
    expect(q.stats()).toMatchObject({ delivered: 0, pending: 2 });
    answer();
    await q.shutdown({ timeoutMs: 0 });
  });

  it("waits for the events it covers that queue behind a retry in flight", async () => {
    let go!: () => void;
    const flushCalled = new Promise<void>((r) => (go = r));
    let tries = 0;
    reset(async (req, res) => {
      if (numbers(req.body)[0] !== 0) return false;
      if (++tries === 1) return (await flushCalled, down(res));
      await sleep(300); // the retry of 0 holds the one request slot
      return false;
    });
    const q = client().ingest.queue({
      spool: fresh(),
      flushAt: 1,
      concurrency: 1,
      flushInterval: 60_000,
      retryDelayMs: 1,
      maxRetryDelayMs: 1,
    });
    for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
    const flushed = q.flush();
    go();
    await flushed;
    expect(delivered()).toEqual([0, 1, 2]);
    expect(q.stats()).toMatchObject({ delivered: 3, pending: 0 });
    await q.shutdown();
  });
});

describe("ingest.queue after a transient failure", () => {
  it("sends the part of a batch that failed again after the retry wait, not after flushInterval; batching goes on as before", async () => {
    let busy = true;
    reset((req, res) => {
      const ns = numbers(req.body);
      if (ns.length > 1) return (json(res, 400, { message: "invalid event", statusCode: 400 }), true);
      if (ns[0] === 1 && busy) return ((busy = false), down(res, { "retry-after": "0" }));
      return false;
    });
    const q = client().ingest.queue({ spool: fresh(), flushAt: 2, flushInterval: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // a 400 for both: narrowed down to each, and 1 meets a 503
    await until(() => ctx.server.accepted.size === 2, 5_000);
    await q.enqueue(ev(2)); // alone: waits for its age or a flush()
    await sleep(150);
    expect(delivered()).toEqual([0, 1]);
    await q.flush();
    expect(delivered()).toEqual([0, 1, 2]);
    await q.shutdown();
  });

  it("after a Retry-After of 0, sends the refused batch again at once; an event waiting for its age still waits for it", async () => {
    // The clock stands still, as when the answer comes within the millisecond its wait began.
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.now());
    try {
      reset((_req, res, n) =>
        n === 1 ? down(res, { "retry-after": "0" }) : n === 2 ? sleep(100).then(() => false) : false,
      );
      const q = client().ingest.queue({ spool: fresh(), flushAt: 2, concurrency: 1, flushInterval: 60_000 });
      await q.enqueue(ev(0));
      await q.enqueue(ev(1)); // sent, and refused with Retry-After: 0
      await q.enqueue(ev(2)); // alone: waits for its age or a flush()
      await until(() => ctx.server.accepted.size >= 2);
      await sleep(200);
      expect(requests()).toEqual([
        [0, 1],
        [0, 1],
      ]);
      await q.flush();
      expect(delivered()).toEqual([0, 1, 2]);
      await q.shutdown();
    } finally {
      clock.mockRestore();
    }
  });

  it("sends the spooled events again in the order they were accepted", async () => {
    // The first two requests fail: 0 alone after 50 ms, then 1 and 2 after 150 ms.
    reset(async (req, res) => {
      if (ctx.server.received.length > 2) return false;
      await sleep(numbers(req.body)[0] === 0 ? 50 : 150);
      return down(res);
    });
    const q = client().ingest.queue({
      spool: fresh(),
      flushAt: 2,
      concurrency: 2,
      flushInterval: 60_000,
      retryDelayMs: 300,
      maxRetryDelayMs: 400,
    });
    await q.enqueue(ev(0));
    void q.flush(); // 0 goes alone
    await until(() => ctx.server.received.length === 1);
    await q.enqueue(ev(1));
    await q.enqueue(ev(2)); // 1 and 2 go together, and fail after 0 did: 0 is put back first
    await q.enqueue(ev(3));
    await until(() => ctx.server.accepted.size === 4);
    expect(requests().slice(0, 2)).toEqual([[0], [1, 2]]);
    expect(
      requests()
        .slice(2)
        .sort((a, b) => a[0] - b[0]),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
    await q.shutdown();
  });

  it("ignores a negative Retry-After: waits retryDelayMs, doubling, and warns once for the outage", async () => {
    const times: number[] = [];
    reset((_req, res, k) => {
      times.push(Date.now());
      return k <= 3 ? down(res, { "retry-after": "-1" }) : false;
    });
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ spool: fresh(), flushAt: 2, retryDelayMs: 200 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.accepted.size === 2);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // 200, 400, 800 ms less up to a quarter of jitter.
    [150, 300, 600].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least - 5));
    expect(log.warnings().filter((w) => /delivery failed/.test(w))).toHaveLength(1);
    await q.shutdown();
  });

  it("warns again for an outage that begins after a delivery", async () => {
    reset((_req, res, n) => (n === 1 || n === 3 ? down(res) : false));
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ spool: fresh(), flushAt: 1, retryDelayMs: 1 });
    await q.enqueue(ev(0)); // refused, then delivered
    await until(() => ctx.server.accepted.size === 1);
    await q.enqueue(ev(1)); // refused, then delivered
    await until(() => ctx.server.accepted.size === 2);
    expect(log.warnings().filter((w) => /delivery failed/.test(w))).toHaveLength(2);
    await q.shutdown();
  });

  it("waits at most retryDelayMs before the first retry: a random part of up to a quarter is taken off, never added", async () => {
    reset((_req, res, n) => (n === 1 ? down(res) : false));
    const random = vi.spyOn(Math, "random").mockReturnValue(0.999);
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      const log = logs();
      const q = client({ logger: log.logger }).ingest.queue({ spool: fresh(), flushAt: 1, retryDelayMs: 10_000 });
      await q.enqueue(ev(0));
      await until(retryWaitBegan(log));
      // The queue's timer for the end of the wait: 10 s less (nearly) a quarter.
      const waits = timers.mock.calls.map(([, ms]) => ms ?? 0).filter((ms) => ms > 6_000 && ms <= 20_000);
      expect(waits.length).toBeGreaterThan(0);
      for (const ms of waits) {
        expect(ms).toBeLessThanOrEqual(10_000);
        expect(ms).toBeGreaterThan(7_000);
      }
      await q.flush(); // sent again at once: a flush() does not wait for the retry wait
      expect(delivered()).toEqual([0]);
      await q.shutdown();
    } finally {
      timers.mockRestore();
      random.mockRestore();
    }
  });

  it("does not count a shutdown deadline as a delivery failure", async () => {
    reset(() => new Promise<boolean>(() => {}));
    const log = logs();
    const dir = fresh();
    const q = client({ logger: log.logger, timeout: 30_000 }).ingest.queue({ spool: dir, flushAt: 2 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.received.length === 1);
    await q.shutdown({ timeoutMs: 50 });
    expect(q.stats()).toMatchObject({ failed: 0, pending: 2 });
    expect(log.warnings().filter((w) => /delivery failed/.test(w))).toEqual([]);
  });
});

describe("ingest.queue flush() with producers waiting for room", () => {
  it("sends what is queued when no batch is full, then the producers waiting for room get it", async () => {
    reset();
    const q = client().ingest.queue({ flushAt: 10, maxQueueSize: 2, overflow: "wait", flushInterval: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // full, with no full batch: only their age or a flush() sends them
    const producer = q.enqueue(ev(2)); // waits for room
    expect(await within(q.flush(), 5_000)).toBe("done");
    expect(delivered()).toEqual([0, 1]);
    expect(await within(producer, 5_000)).toBe("done");
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2]);
  });

  it("sends what is queued during a retry wait, then the producers waiting for room get it", async () => {
    let failed = false;
    reset((_req, res) => (failed ? false : ((failed = true), down(res))));
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({
      spool: fresh(),
      flushAt: 2,
      maxQueueSize: 2,
      overflow: "wait",
      flushInterval: 60_000,
      retryDelayMs: 60_000,
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // refused with a 503: a wait of most of a minute begins, the queue is full
    await until(retryWaitBegan(log));
    const producer = q.enqueue(ev(2));
    expect(await within(q.flush(), 5_000)).toBe("done");
    expect(delivered()).toEqual([0, 1]);
    expect(await within(producer, 5_000)).toBe("done");
    await q.shutdown();
    expect(delivered()).toEqual([0, 1, 2]);
  });
});
