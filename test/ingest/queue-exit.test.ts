// A process that ends for lack of work, without calling shutdown(): the events its queue
// holds go out first, each tried once more at most, and the queue then lets the process go.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { until } from "./waits.js";

const ctx = useBulkServer("queue-exit");
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};
const takes = () => Object.fromEntries([...ctx.server.accepted].map(([n, k]) => [Number(n), k]));
const src = JSON.stringify(new URL("../../src/index.js", import.meta.url).href);

/** Runs a module that enqueues `count` events into a queue with these options and ends without shutdown(). */
function runAndEnd(options: Record<string, unknown>, count: number): Promise<string> {
  const code = `import { AsyncPayi } from ${src};
const q = new AsyncPayi({ apiKey: "exit-key", baseURL: ${JSON.stringify(ctx.server.url)}, maxRetries: 0, logLevel: "off" })
  .ingest.queue({ flushInterval: 60000, ...${JSON.stringify(options)} });
for (let n = 0; n < ${count}; n++)
  await q.enqueue({ category: "system.openai", resource: "gpt-4o", units: { text: { input: n } }, properties: { n: String(n) } });
console.log("enqueued", q.stats().pending);`;
  return new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", code],
      { timeout: 15_000 },
      (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out.trim())),
    ),
  );
}

describe("ingest.queue when the process ends without shutdown()", () => {
  it("sends what waits before the process exits", async () => {
    reset();
    expect(await runAndEnd({}, 3)).toBe("enqueued 3");
    expect(takes()).toEqual({ 0: 1, 1: 1, 2: 1 });
  });

  it("during an outage tries each event once, lets the process exit, and the spool keeps them", async () => {
    reset((_req, res) => (json(res, 503, { message: "down", statusCode: 503 }), true));
    const dir = join(ctx.dir, "outage");
    expect(await runAndEnd({ spool: dir, retryDelayMs: 50, maxRetryDelayMs: 50 }, 2)).toBe("enqueued 2");
    expect(ctx.server.received.length).toBe(1);
    reset();
    const next = new AsyncPayi({ apiKey: "exit-key", baseURL: ctx.server.url, logLevel: "off" }).ingest.queue({
      spool: dir,
    });
    expect(next.stats().pending).toBe(2);
    await next.shutdown();
    expect(takes()).toEqual({ 0: 1, 1: 1 });
  });

  it("holds no listener once its events are delivered or it is shut down", async () => {
    reset();
    const before = process.listenerCount("beforeExit");
    const client = new AsyncPayi({ apiKey: "exit-key", baseURL: ctx.server.url, logLevel: "off" });
    const a = client.ingest.queue({ flushInterval: 60_000 });
    const b = client.ingest.queue({ flushInterval: 60_000 });
    await a.enqueue(ev(0));
    await b.enqueue(ev(1));
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    await a.flush();
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    await b.shutdown();
    expect(process.listenerCount("beforeExit")).toBe(before);
    await a.shutdown();
  });
  it("holds the listener for the events a spool gave back from their first try, and none for a spool that gave back nothing", async () => {
    reset();
    const before = process.listenerCount("beforeExit");
    const client = new AsyncPayi({ apiKey: "exit-key", baseURL: ctx.server.url, logLevel: "off" });
    const empty = client.ingest.queue({ spool: join(ctx.dir, "nothing-left") });
    expect(process.listenerCount("beforeExit")).toBe(before);
    await empty.shutdown();
    const dir = join(ctx.dir, "left-by-a-crash");
    mkdirSync(dir);
    writeFileSync(join(dir, "events.jsonl"), [1, 2].map((id) => `${JSON.stringify({ id, event: ev(id) })}\n`).join(""));
    const resumed = client.ingest.queue({ spool: dir });
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    await resumed.flush();
    expect(takes()).toEqual({ 1: 1, 2: 1 });
    expect(process.listenerCount("beforeExit")).toBe(before);
    await resumed.shutdown();
  });

  it("holds the listener while a batch is in flight, after an earlier one was delivered", async () => {
    let answer!: () => void;
    const second = new Promise<boolean>((r) => (answer = () => r(false)));
    reset((_req, _res, n) => (n === 2 ? second : false));
    const before = process.listenerCount("beforeExit");
    const q = new AsyncPayi({ apiKey: "exit-key", baseURL: ctx.server.url, logLevel: "off" }).ingest.queue({
      flushAt: 1,
      concurrency: 1,
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1)); // goes once 0 is answered
    await until(() => ctx.server.received.length === 2);
    expect(takes()).toEqual({ 0: 1 });
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    answer();
    await q.flush();
    expect(takes()).toEqual({ 0: 1, 1: 1 });
    expect(process.listenerCount("beforeExit")).toBe(before);
    await q.shutdown();
  });
});
