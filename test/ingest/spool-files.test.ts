// The spool's files as another process or an earlier version left them: whose lock it is,
// acknowledgements one id a line, ids never given twice, and a dead-letter file that cannot
// be written.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, type Logger } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { logs } from "./waits.js";

const ctx = useBulkServer("spool-files");
const client = (logger?: Logger) =>
  new AsyncPayi({
    apiKey: "spool-files-key",
    baseURL: ctx.server.url,
    maxRetries: 0,
    logger,
    logLevel: logger ? "debug" : "off",
  });
let n = 0;
/** A spool directory holding these files. */
const spool = (files: Record<string, string> = {}) => {
  const dir = join(ctx.dir, `spool-${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const record = (id: number, k: number) => `${JSON.stringify({ id, event: ev(k) })}\n`;
const reset = () => {
  ctx.server.accepted.clear();
  ctx.server.behave(() => false);
};
const delivered = () => [...ctx.server.accepted.keys()].map(Number).sort((a, b) => a - b);

describe("a spool's lock", () => {
  it("held by a live process keeps the queue out, naming the process and the file to delete", () => {
    const dir = spool({ lock: String(process.ppid) });
    expect(() => client().ingest.queue({ spool: dir })).toThrow(
      `ingest.queue: the spool ${dir} is in use by process ${process.ppid}. Use one spool directory per queue; if that process is gone, delete ${join(dir, "lock")}.`,
    );
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.ppid));
  });

  it.each(["not a pid", "0", "-4", "2.5"])("holding %j is taken over", async (text) => {
    const dir = spool({ lock: text });
    const q = client().ingest.queue({ spool: dir });
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.pid));
    await q.shutdown();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("taken over by another process meanwhile is left to it at shutdown", async () => {
    const dir = spool();
    const q = client().ingest.queue({ spool: dir });
    writeFileSync(join(dir, "lock"), String(process.ppid));
    await q.shutdown();
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.ppid));
  });
});

describe("a spool's records", () => {
  it("take acknowledgements written one id a line, and never give an id twice", async () => {
    reset();
    const dir = spool({ "events.jsonl": record(1, 1) + record(2, 2) + record(3, 3), "acks.jsonl": "2\n[9]\n" });
    const q = client().ingest.queue({ spool: dir, flushAt: 10 });
    expect(q.stats()).toMatchObject({ accepted: 2, pending: 2 });
    await q.enqueue(ev(4));
    const ids = readFileSync(join(dir, "events.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual([1, 2, 3, 10]); // past 9, acknowledged though never seen here
    await q.shutdown();
    expect(delivered()).toEqual([1, 3, 4]);
  });

  it("keep a refused event when the dead-letter file cannot be written, and say so", async () => {
    reset();
    const dir = spool();
    mkdirSync(join(dir, "dead-letter.jsonl"));
    const log = logs();
    const q = client(log.logger).ingest.queue({ spool: dir, flushAt: 2, onEventError: () => {} });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1, { properties: { refuse: "yes" } }));
    await q.shutdown();
    expect(log.warnings().join("\n")).toMatch(
      /dead-letter file could not be written \(EISDIR.*; 1 refused event\(s\) stay in the spool/,
    );
    expect(q.stats()).toMatchObject({ delivered: 1, failed: 1, pending: 0 });
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats()).toMatchObject({ accepted: 1, pending: 1 });
    await next.shutdown({ timeoutMs: 0 });
  });
});
