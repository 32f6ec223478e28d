// The queue: every event accepted is delivered, reported failed, or counted as dropped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiError, PayiValidationError, type IngestQueueStats } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, startBulkServer, type BulkServer } from "./bulk-server.js";

let server: BulkServer;
beforeAll(async () => {
  server = await startBulkServer();
});
afterAll(() => server.close());
const client = (maxRetries = 2) => new AsyncPayi({ apiKey: "queue-key", baseURL: server.url, maxRetries, logLevel: "off", timeout: 2_000 });

/** accepted = delivered + failed + dropped, once nothing is pending. */
const balanced = (s: IngestQueueStats) => expect([s.pending, s.accepted]).toEqual([0, s.delivered + s.failed + s.dropped]);

describe("ingest.queue", () => {
  it("sends a batch when flushAt events wait, maps header options to bulk fields, and flush() waits for batches in flight", async () => {
    server.accepted.clear();
    server.behave(() => false);
    const q = client().ingest.queue({ flushAt: 3, flushInterval: 60_000 });
    for (let n = 0; n < 7; n++) await q.enqueue(ev(n, { user_id: "u1", limit_ids: [" b ", ""], resource_scope: "global", properties: { attempt: 2 as unknown as string } }));
    expect(server.received.length).toBeLessThanOrEqual(2);
    await q.flush();
    expect(server.received).toHaveLength(3);
    const first = JSON.parse(server.received[0].body)[0];
    expect(first).toMatchObject({ user_id: "u1", limit_ids: ["b"], scope: "global", properties: { n: "0", attempt: "2" } });
    expect(first.resource_scope).toBeUndefined();
    expect(q.stats()).toMatchObject({ accepted: 7, delivered: 7, failed: 0, dropped: 0, pending: 0 });
  });

  it("sends by age", async () => {
    server.accepted.clear();
    server.behave(() => false);
    const q = client().ingest.queue({ flushAt: 100, flushInterval: 100 });
    await q.enqueue(ev(1));
    await new Promise((r) => setTimeout(r, 600));
    expect(server.accepted.get("1")).toBe(1);
    balanced(q.stats());
  });

  it("reports the events a bulk answer refused, one by one", async () => {
    server.accepted.clear();
    server.behave(() => false);
    const refused: unknown[] = [];
    const q = client().ingest.queue({ flushAt: 10, onEventError: (err, event) => refused.push([err.code, event.properties?.n]) });
    for (let n = 0; n < 5; n++) await q.enqueue(ev(n, n % 2 ? { properties: { refuse: "yes" } } : {}));
    await q.flush();
    expect(refused).toEqual([
      ["category_resource_not_found", "1"],
      ["category_resource_not_found", "3"],
    ]);
    expect(q.stats()).toMatchObject({ delivered: 3, failed: 2 });
    balanced(q.stats());
  });

  it("retries 429 with Retry-After and a server killed mid-batch, then delivers", async () => {
    server.accepted.clear();
    server.behave((_r, res, n) => {
      if (n === 1) return json(res, 429, { message: "slow down", statusCode: 429 }, { "retry-after": "0.05" }), true;
      if (n === 2) return res.socket!.destroy(), true;
      return false;
    });
    const q = client().ingest.queue({ flushAt: 4 });
    for (let n = 0; n < 4; n++) await q.enqueue(ev(n));
    await q.flush();
    expect([...server.accepted.values()]).toEqual([1, 1, 1, 1]);
    balanced(q.stats());
  });

  it("retries a stalled batch after its timeout, and reports one that always stalls", async () => {
    server.accepted.clear();
    server.behave((_r, _res, n) => (n === 1 ? new Promise<boolean>(() => {}) : false));
    const c = new AsyncPayi({ apiKey: "queue-key", baseURL: server.url, maxRetries: 1, logLevel: "off", timeout: 300 });
    const q = c.ingest.queue({ flushAt: 2 });
    await q.enqueue(ev(1));
    await q.enqueue(ev(2));
    await q.flush();
    expect([...server.accepted.values()]).toEqual([1, 1]);
    balanced(q.stats());
    server.behave(() => new Promise<boolean>(() => {}));
    const kept: string[] = [];
    const stalled = c.ingest.queue({ flushAt: 2, onError: (err) => kept.push(err.name) });
    await stalled.enqueue(ev(3));
    await stalled.flush();
    expect(kept).toEqual(["APITimeoutError"]);
    balanced(stalled.stats());
  });

  it("never keeps a process alive", async () => {
    const { execFile } = await import("node:child_process");
    const code = `import { AsyncPayi } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
const q = new AsyncPayi({ apiKey: "k", baseURL: ${JSON.stringify(server.url)} }).ingest.queue({ flushInterval: 60000 });
await q.enqueue({ category: "system.openai", units: { text: { input: 1 } } });
console.log("enqueued", q.stats().pending);`;
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    expect(stdout.trim()).toBe("enqueued 1");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("reports a batch that keeps failing through onError, with its events", async () => {
    server.behave((_r, res) => (json(res, 503, { message: "down", statusCode: 503 }, { "retry-after-ms": "1" }), true));
    const kept: unknown[] = [];
    const q = client(1).ingest.queue({ flushAt: 2, onError: (err, events) => kept.push([(err as PayiError).name, events.length]) });
    for (let n = 0; n < 3; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(kept).toEqual([
      ["InternalServerError", 2],
      ["InternalServerError", 1],
    ]);
    expect(q.stats()).toMatchObject({ failed: 3, delivered: 0 });
    balanced(q.stats());
  });

  it("counts what it drops when full, by policy", async () => {
    server.behave(() => new Promise<boolean>(() => {})); // stalls: nothing settles
    for (const overflow of ["drop-newest", "drop-oldest"] as const) {
      const dropped: string[] = [];
      const q = client(0).ingest.queue({ flushAt: 100, maxQueueSize: 3, overflow, onDrop: (e) => dropped.push(String(e.properties?.n)) });
      for (let n = 0; n < 5; n++) await q.enqueue(ev(n));
      expect(dropped).toEqual(overflow === "drop-newest" ? ["3", "4"] : ["0", "1"]);
      expect(q.stats()).toMatchObject({ accepted: 5, dropped: 2, pending: 3 });
    }
    const q = client(0).ingest.queue({ flushAt: 100, maxQueueSize: 1 });
    await q.enqueue(ev(0));
    await expect(q.enqueue(ev(1))).rejects.toThrow(/full/);
    expect(q.stats()).toMatchObject({ accepted: 1, dropped: 0 });
  });

  it("refuses a bad event at enqueue, naming the field, and never sends it", async () => {
    server.behave(() => false);
    const q = client().ingest.queue();
    await expect(q.enqueue({ category: "system.openai", units: { text: { input: "10" as unknown as number } } })).rejects.toBeInstanceOf(PayiValidationError);
    await expect(q.enqueue({ ...ev(1), disable_logging: true })).rejects.toThrow(/disable_logging/);
    await q.flush();
    expect(q.stats()).toMatchObject({ accepted: 0, pending: 0 });
  });

  it("shutdown flushes, then refuses new events", async () => {
    server.accepted.clear();
    server.behave(() => false);
    const q = client().ingest.queue({ flushAt: 50 });
    await q.enqueue(ev(1));
    await q.shutdown({ timeoutMs: 5_000 });
    expect(server.accepted.get("1")).toBe(1);
    await expect(q.enqueue(ev(2))).rejects.toThrow(/shut down/);
  });
});
