// The queue: every event accepted is delivered, reported failed, or counted as dropped.
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AsyncPayi,
  type PayiError,
  PayiValidationError,
  type IngestQueue,
  type IngestQueueOptions,
} from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, startBulkServer, type BulkServer } from "./bulk-server.js";

const KEY = "queue-key-never-shown";
let server: BulkServer;
beforeAll(async () => {
  server = await startBulkServer();
});
afterAll(() => server.close());
/** Forgets what the server received and accepted before. */
const reset = () => {
  server.accepted.clear();
  server.received.length = 0;
};
// A timeout no answer reaches on a loaded machine: an attempt cut short after the server counted
// its events would deliver them twice. Tests of the timeout set their own.
const client = (maxRetries = 2, baseURL = server.url) =>
  new AsyncPayi({ apiKey: KEY, baseURL, maxRetries, logLevel: "off", timeout: 15_000 });

/** What the queue reported through its callbacks, event by event, as a user would collect it. */
function tracker() {
  const t = {
    errors: [] as Error[],
    failed: [] as string[],
    dropped: [] as string[],
    options: {} as IngestQueueOptions,
  };
  t.options = {
    onError: (err, events) => (t.errors.push(err), t.failed.push(...events.map((e) => String(e.properties?.n)))),
    onEventError: (_err, e) => t.failed.push(String(e.properties?.n)),
    onDrop: (e) => t.dropped.push(String(e.properties?.n)),
  };
  return t;
}

/**
 * The invariant, from the outside: every accepted event reached the server (counted there by
 * its id), was reported failed, or was reported dropped; and stats() tells the same story.
 */
function balanced(q: IngestQueue, t: ReturnType<typeof tracker>, pending = 0) {
  const s = q.stats();
  const onServer = [...server.accepted.values()].reduce((a, b) => a + b, 0);
  expect(s.pending).toBe(pending);
  expect(s.accepted).toBe(onServer + t.failed.length + t.dropped.length + pending);
  expect(s).toMatchObject({ delivered: onServer, failed: t.failed.length, dropped: t.dropped.length });
}

describe("ingest.queue", () => {
  it("sends a batch when flushAt events wait, maps header options to bulk fields, and flush() waits for batches in flight", async () => {
    reset();
    server.behave(() => false);
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 3, flushInterval: 60_000, ...t.options });
    const extra = {
      user_id: "Zoë",
      limit_ids: [" b ", ""],
      resource_scope: "global",
      use_case_name: "chat",
      use_case_version: 2,
      account_name: "acme",
      disable_logging: false,
    };
    for (let n = 0; n < 7; n++) await q.enqueue(ev(n, { ...extra, properties: { attempt: 2 as unknown as string } }));
    expect(server.received.length).toBeLessThanOrEqual(2);
    await q.flush();
    expect(server.received).toHaveLength(3);
    const first = JSON.parse(server.received[0].body)[0];
    expect(first).toMatchObject({
      user_id: "Zoë",
      limit_ids: ["b"],
      scope: "global",
      use_case_name: "chat",
      use_case_version: 2,
      account_name: "acme",
      properties: { n: "0", attempt: "2" },
    });
    expect(first).not.toHaveProperty("resource_scope");
    expect(first).not.toHaveProperty("disable_logging");
    expect(server.received[0].headers["xproxy-user-id"]).toBeUndefined();
    balanced(q, t);
  });

  it("sends by age", async () => {
    reset();
    server.behave(() => false);
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 100, flushInterval: 100, ...t.options });
    await q.enqueue(ev(1));
    await new Promise((r) => setTimeout(r, 600));
    expect(server.accepted.get("1")).toBe(1);
    balanced(q, t);
  });

  it("flush() also waits for enqueue() calls nobody awaited", async () => {
    reset();
    server.behave(() => false);
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 100, flushInterval: 60_000, ...t.options });
    void q.enqueue(ev(1));
    void q.enqueue(ev(2));
    await q.flush();
    expect([...server.accepted.keys()].sort()).toEqual(["1", "2"]);
    balanced(q, t);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    reset();
    let open = 0;
    let most = 0;
    server.behave(async () => {
      most = Math.max(most, ++open);
      await new Promise((r) => setTimeout(r, 100));
      open--;
      return false;
    });
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 2, flushInterval: 60_000, concurrency: 2, ...t.options });
    for (let n = 0; n < 12; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(most).toBeLessThanOrEqual(2);
    expect(server.accepted.size).toBe(12);
    balanced(q, t);
  });

  it("reports the events a bulk answer refused, one by one", async () => {
    reset();
    server.behave(() => false);
    const refused: unknown[] = [];
    const t = tracker();
    const q = client().ingest.queue({
      flushAt: 10,
      ...t.options,
      onEventError: (err, event) => (
        refused.push([err.code, err.statusCode, event.properties?.n]), t.options.onEventError!(err, event)
      ),
    });
    for (let n = 0; n < 5; n++) await q.enqueue(ev(n, n % 2 ? { properties: { refuse: "yes" } } : {}));
    await q.flush();
    expect(refused).toEqual([
      ["category_resource_not_found", 404, "1"],
      ["category_resource_not_found", 404, "3"],
    ]);
    expect(q.stats()).toMatchObject({ delivered: 3, failed: 2 });
    balanced(q, t);
  });

  it("retries 429 with Retry-After and a connection cut mid-batch, then delivers", async () => {
    reset();
    server.behave((_r, res, n) => {
      if (n === 1) return (json(res, 429, { message: "slow down", statusCode: 429 }, { "retry-after": "0.05" }), true);
      if (n === 2) return (res.socket!.destroy(), true);
      return false;
    });
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 4, ...t.options });
    for (let n = 0; n < 4; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(server.received).toHaveLength(3);
    expect([...server.accepted.values()]).toEqual([1, 1, 1, 1]);
    balanced(q, t);
  });

  it("retries a stalled batch after its timeout, and reports one that always stalls", async () => {
    reset();
    // The first request to arrive stalls, the others are answered. The timeout leaves an answered
    // attempt ample time on a loaded machine (one cut short after the server counted its events
    // would deliver them twice: at 2 s, some were, under Stryker); a spare retry covers a
    // first attempt that times out before arriving.
    let stalls = 1;
    server.behave(() => (stalls-- > 0 ? new Promise<boolean>(() => {}) : false));
    const c = new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 2, logLevel: "off", timeout: 5_000 });
    const t = tracker();
    const q = c.ingest.queue({ flushAt: 2, ...t.options });
    await q.enqueue(ev(1));
    await q.enqueue(ev(2));
    await q.flush();
    expect(t.errors.map(String)).toEqual([]);
    expect([...server.accepted.values()]).toEqual([1, 1]);
    balanced(q, t);
    reset();
    server.behave(() => new Promise<boolean>(() => {}));
    const t2 = tracker();
    // Every attempt stalls here, so however late each arrives, it ends at the timeout.
    const stalled = c.withOptions({ maxRetries: 1, timeout: 300 }).ingest.queue({ flushAt: 2, ...t2.options });
    await stalled.enqueue(ev(3));
    await stalled.flush();
    expect(t2.errors.map((e) => e.name)).toEqual(["APITimeoutError"]);
    expect(t2.failed).toEqual(["3"]);
    balanced(stalled, t2);
  });

  it("reports every event of a batch sent to a server that goes away mid-batch, and the key is in no error", async () => {
    const doomed = await startBulkServer();
    doomed.behave(() => (void doomed.close(), true)); // drops the request's socket and stops listening
    const t = tracker();
    const q = client(1, doomed.url).ingest.queue({ flushAt: 3, ...t.options });
    for (let n = 0; n < 5; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(doomed.received.length).toBeGreaterThanOrEqual(1);
    expect(t.errors.map((e) => e.name)).toEqual(["APIConnectionError", "APIConnectionError"]);
    expect(t.failed.sort()).toEqual(["0", "1", "2", "3", "4"]);
    for (const err of t.errors) {
      for (const text of [String(err), err.stack, JSON.stringify(err), inspect(err, { depth: 10 })])
        expect(text).not.toContain(KEY);
    }
    reset();
    balanced(q, t);
  });

  it("reports a batch that keeps failing through onError, with its events", async () => {
    reset();
    server.behave((_r, res) => (json(res, 503, { message: "down", statusCode: 503 }, { "retry-after-ms": "1" }), true));
    const t = tracker();
    const q = client(1).ingest.queue({ flushAt: 2, ...t.options });
    for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(t.errors.map((e) => (e as PayiError).name)).toEqual(["InternalServerError", "InternalServerError"]);
    // Both batches are in flight at once: either may fail first.
    expect(t.failed.sort()).toEqual(["0", "1", "2"]);
    expect(server.received).toHaveLength(4); // two batches, each tried twice
    balanced(q, t);
  });

  it("counts what it drops when full, by policy", async () => {
    reset();
    server.behave(() => new Promise<boolean>(() => {})); // stalls: nothing settles
    for (const overflow of ["drop-newest", "drop-oldest"] as const) {
      const t = tracker();
      const q = client(0).ingest.queue({ flushAt: 100, maxQueueSize: 3, overflow, ...t.options });
      for (let n = 0; n < 5; n++) await q.enqueue(ev(n));
      expect(t.dropped).toEqual(overflow === "drop-newest" ? ["3", "4"] : ["0", "1"]);
      expect(q.stats()).toMatchObject({ accepted: 5, dropped: 2, pending: 3 });
      balanced(q, t, 3);
    }
    const t = tracker();
    const q = client(0).ingest.queue({ flushAt: 100, maxQueueSize: 1, ...t.options });
    await q.enqueue(ev(0));
    await expect(q.enqueue(ev(1))).rejects.toThrow(/full/);
    expect(q.stats()).toMatchObject({ accepted: 1, dropped: 0 });
    balanced(q, t, 1);
  });

  it("lets batches go out while a producer awaits enqueue() in a tight loop, so an instant server takes every event", async () => {
    reset();
    server.behave(() => false);
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 50, maxQueueSize: 500, ...t.options });
    for (let n = 0; n < 5_000; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(server.accepted.size).toBe(5_000);
    balanced(q, t);
  });

  it('with overflow "wait", enqueue() waits for room instead of refusing, holding at most maxQueueSize', async () => {
    reset();
    server.behave(async () => (await new Promise((r) => setTimeout(r, 20)), false));
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 20, maxQueueSize: 50, concurrency: 2, overflow: "wait", ...t.options });
    let most = 0;
    for (let n = 0; n < 400; n++) {
      await q.enqueue(ev(n));
      most = Math.max(most, q.stats().pending);
    }
    await q.shutdown();
    expect(most).toBeLessThanOrEqual(50);
    expect(server.accepted.size).toBe(400);
    balanced(q, t);
  });

  it("refuses a bad event at enqueue, naming the field, and never sends it", async () => {
    reset();
    server.behave(() => false);
    const q = client().ingest.queue();
    const bad = await q
      .enqueue({ category: "system.openai", units: { text: { input: "10" as unknown as number } } })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(PayiValidationError);
    expect(bad.issues.map((i: { path: string }) => i.path)).toEqual(["units.text.input"]);
    await expect(q.enqueue({ ...ev(1), disable_logging: true })).rejects.toThrow(/disable_logging/);
    await expect(q.enqueue("not an event" as never)).rejects.toBeInstanceOf(PayiValidationError);
    await q.flush();
    expect(server.received).toHaveLength(0);
    expect(q.stats()).toMatchObject({ accepted: 0, pending: 0 });
  });

  it("refuses options it cannot honour", () => {
    expect(() => client().ingest.queue({ flushAt: 0 })).toThrow(/flushAt/);
    expect(() => client().ingest.queue({ concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => client().ingest.queue({ overflow: "drop-random" as never })).toThrow(/overflow/);
    expect(() => client().ingest.queue({ retryDelayMs: -1 })).toThrow(/retryDelayMs/);
  });

  it("shutdown flushes, then refuses new events", async () => {
    reset();
    server.behave(() => false);
    const t = tracker();
    const q = client().ingest.queue({ flushAt: 50, ...t.options });
    await q.enqueue(ev(1));
    await q.shutdown({ timeoutMs: 5_000 });
    expect(server.accepted.get("1")).toBe(1);
    await expect(q.enqueue(ev(2))).rejects.toThrow(/shut down/);
    balanced(q, t);
  });

  it("never keeps a process alive", async () => {
    const { execFile } = await import("node:child_process");
    const code = `import { AsyncPayi } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
const q = new AsyncPayi({ apiKey: "k", baseURL: ${JSON.stringify(server.url)} }).ingest.queue({ flushInterval: 60000 });
await q.enqueue({ category: "system.openai", units: { text: { input: 1 } } });
console.log("enqueued", q.stats().pending);`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", code],
        { timeout: 15_000 },
        (err, out) => (err ? reject(err) : resolve(out)),
      ),
    );
    // The 60 s timer was pending; exiting at all (before execFile's 15 s kill) is the point.
    expect(stdout.trim()).toBe("enqueued 1");
  });
});
