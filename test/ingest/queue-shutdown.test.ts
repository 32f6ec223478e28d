// What shutdown() settles before it gives the spool up: the batches still in flight (their
// acknowledgements reach the spool, so the next queue does not send them again) and the
// enqueue() calls made before it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { numbers, sleep, until, within } from "./waits.js";

const ctx = useBulkServer("queue-shutdown");
const client = () =>
  new AsyncPayi({ apiKey: "shutdown-key", baseURL: ctx.server.url, maxRetries: 0, timeout: 10_000, logLevel: "off" });
let spools = 0;
const fresh = () => join(ctx.dir, `spool-${++spools}`);
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};
/** How many times the server took each event. */
const takes = () => Object.fromEntries([...ctx.server.accepted].map(([n, k]) => [Number(n), k]));

describe("ingest.queue shutdown()", () => {
  it("waits for a batch sent again while it flushes, and records it delivered: the next queue does not send it again", async () => {
    // Event 0 meets a 503 (Retry-After: 0) once shutdown() began, and is sent again at once;
    // that try is answered only after event 1's request, the last one shutdown() waited for.
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let tries0 = 0;
    reset(async (req, res) => {
      const [n] = numbers(req.body);
      if (n === 0 && ++tries0 === 1) {
        await firstHeld;
        return (json(res, 503, { message: "down", statusCode: 503 }, { "retry-after": "0" }), true);
      }
      if (n === 0) await sleep(300);
      else await until(() => tries0 === 2);
      return false;
    });
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 1, concurrency: 2, retryDelayMs: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.received.length === 2);
    const done = q.shutdown();
    releaseFirst();
    await done;
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 2, pending: 0 });

    const next = client().ingest.queue({ spool: dir });
    expect(next.stats().accepted).toBe(0);
    await next.shutdown();
    expect(takes()).toEqual({ 0: 1, 1: 1 });
  });

  it("with timeoutMs, does not wait past the deadline for a batch sent again while it flushes; that event stays spooled", async () => {
    let tries0 = 0;
    reset(async (req, res) => {
      const [n] = numbers(req.body);
      if (n === 0 && ++tries0 === 1) {
        await sleep(100);
        return (json(res, 503, { message: "down", statusCode: 503 }, { "retry-after": "0" }), true);
      }
      if (n === 0) await new Promise(() => {}); // the second try is never answered
      await until(() => tries0 === 2);
      return false;
    });
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 1, concurrency: 2, retryDelayMs: 60_000 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.received.length === 2);
    // The client's own timeout (10 s) would end that try long after the deadline.
    expect(await within(q.shutdown({ timeoutMs: 1_000 }), 5_000)).toBe("done");
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 1, pending: 1 });

    reset();
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats().accepted).toBe(1);
    await next.shutdown();
    expect(takes()).toEqual({ 0: 1 });
  });

  it("with timeoutMs, keeps in the spool what was not answered by the deadline, and only that", async () => {
    reset(async (req) => {
      // Event 1 is never answered; event 0 is.
      if (numbers(req.body)[0] === 1) await new Promise(() => {});
      return false;
    });
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 1, concurrency: 2 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.accepted.size === 1);
    await q.shutdown({ timeoutMs: 100 });
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 1, pending: 1 });

    reset();
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats().accepted).toBe(1);
    await next.shutdown();
    expect(takes()).toEqual({ 1: 1 });
  });

  it("takes and delivers the enqueue() calls made before it, still being checked", async () => {
    reset();
    const q = client().ingest.queue({ flushInterval: 60_000 });
    const queued = [q.enqueue(ev(0)), q.enqueue(ev(1))];
    await q.shutdown();
    expect(await Promise.allSettled(queued)).toEqual([
      { status: "fulfilled", value: undefined },
      { status: "fulfilled", value: undefined },
    ]);
    expect(takes()).toEqual({ 0: 1, 1: 1 });
    await expect(q.enqueue(ev(2))).rejects.toThrow("ingest.queue: this queue is shut down.");
  });

  it("with timeoutMs, refuses an enqueue() call still being checked at the deadline, rather than hold its event where nothing sends it", async () => {
    reset();
    // In a process of its own, the first check loads the schemas: it ends well after a deadline of 0 ms.
    const code = `import { AsyncPayi } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
const q = new AsyncPayi({ apiKey: "k", baseURL: ${JSON.stringify(ctx.server.url)}, logLevel: "off" }).ingest.queue();
const taken = q.enqueue({ category: "system.openai", units: { text: { input: 1 } } }).then(() => "taken", (e) => e.message);
await q.shutdown({ timeoutMs: 0 });
console.log(JSON.stringify({ result: await taken, stats: q.stats() }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", code],
        { timeout: 15_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(out)).toEqual({
      result: "ingest.queue: this queue is shut down.",
      stats: { accepted: 0, delivered: 0, failed: 0, pending: 0, dropped: 0 },
    });
  });
  it("starts no new try once its flush is done: a retry in flight settles, and its event stays spooled for the next queue", async () => {
    // Event 0 meets a 503 with Retry-After: 0 on each try; the second try is answered after the flush is done.
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    reset(async (_req, res, n) => {
      if (n === 1) await firstHeld;
      if (n === 2) await sleep(200);
      if (n > 2) return false;
      return (json(res, 503, { message: "down", statusCode: 503 }, { "retry-after": "0" }), true);
    });
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 1 });
    await q.enqueue(ev(0));
    await until(() => ctx.server.received.length === 1);
    const done = q.shutdown();
    releaseFirst();
    await done;
    expect(ctx.server.received.length).toBe(2);
    expect(q.stats()).toMatchObject({ accepted: 1, delivered: 0, pending: 1 });

    const next = client().ingest.queue({ spool: dir });
    expect(next.stats().pending).toBe(1);
    await next.shutdown();
    expect(takes()).toEqual({ 0: 1 });
  });

  it("with timeoutMs, reached while a refused batch is narrowed down to its events: each stays spooled once", async () => {
    // Both events together meet a 400; 0 alone is not answered before the deadline, and 1 is then not sent.
    reset((req, res) => {
      const ns = numbers(req.body);
      if (ns.length > 1) return (json(res, 400, { message: "invalid event", statusCode: 400 }), true);
      return ns[0] === 0 ? new Promise<boolean>(() => {}) : false;
    });
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 2 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.received.length === 2);
    await q.shutdown({ timeoutMs: 0 });
    expect(ctx.server.received.map((r) => numbers(r.body))).toEqual([[0, 1], [0]]);
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 0, failed: 0, pending: 2 });
    reset();
    const next = client().ingest.queue({ spool: dir });
    await next.shutdown();
    expect(takes()).toEqual({ 0: 1, 1: 1 });
  });

  it("takes null for its options, as no options", async () => {
    reset();
    const q = client().ingest.queue({ flushAt: 10 });
    await q.enqueue(ev(0));
    await q.shutdown(null as never);
    expect(takes()).toEqual({ 0: 1 });
    await expect(q.enqueue(ev(1))).rejects.toThrow("ingest.queue: this queue is shut down.");
  });
});
