// With a spool, an event leaves it only once the service accepted or refused it: outages,
// I/O failures, torn records and a shutdown deadline cost no event.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiError, type IngestQueueOptions, type Logger } from "../../src/index.js";
import { Spool, spoolIo } from "../../src/ingest/spool.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("durable");
const KEY = "durable-key-never-shown";
let n = 0;
const fresh = () => join(ctx.dir, `spool-${++n}`);
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};
/** What a logger set on the client was told, by level. */
function logs() {
  const seen: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void seen.push({ level, message });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { seen, logger, warnings: () => seen.filter((s) => s.level === "warn").map((s) => s.message) };
}
const client = (o: { maxRetries?: number; logger?: Logger; baseURL?: string; timeout?: number } = {}) =>
  new AsyncPayi({
    apiKey: KEY,
    baseURL: o.baseURL ?? ctx.server.url,
    maxRetries: o.maxRetries ?? 0,
    timeout: o.timeout ?? 5_000,
    logger: o.logger,
    logLevel: o.logger ? "debug" : "off",
  });
const delivered = () => [...ctx.server.accepted.keys()].sort((a, b) => Number(a) - Number(b));
const ids = (k: number) => Array.from({ length: k }, (_, i) => String(i));
const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
/** A port nothing listens on: every request is refused. */
async function deadURL(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => void unhandled.push(err);
beforeAll(() => void process.on("unhandledRejection", onUnhandled));
afterAll(() => void process.off("unhandledRejection", onUnhandled));
afterEach(() => {
  spoolIo.fs = undefined;
  expect(unhandled).toEqual([]);
});

describe("a spooled queue through an outage", () => {
  it("keeps the events of an outage longer than the client's retries, and the next queue on the spool delivers them", async () => {
    const dir = fresh();
    const log = logs();
    const q = client({ baseURL: await deadURL(), logger: log.logger }).ingest.queue({ spool: dir, flushAt: 5 });
    for (let i = 0; i < 10; i++) await q.enqueue(ev(i));
    await q.flush(); // resolves once each was tried: they stay spooled
    expect(q.stats()).toMatchObject({ accepted: 10, delivered: 0, failed: 0, pending: 10 });
    await q.shutdown();
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(10);
    expect(log.warnings().join("\n")).toMatch(/stay in the spool/);

    reset();
    const next = client().ingest.queue({ spool: dir });
    await next.flush();
    expect(delivered()).toEqual(ids(10));
    expect(next.stats()).toMatchObject({ accepted: 10, delivered: 10, failed: 0, pending: 0 });
    await next.shutdown();
  });

  it("tries again, for as long as the queue lives, with a growing delay bounded by maxRetryDelayMs", async () => {
    const times: number[] = [];
    reset((_r, res, k) => {
      times.push(Date.now());
      return k <= 6 ? (json(res, 503, { message: "down", statusCode: 503 }), true) : false;
    });
    const q = client().ingest.queue({ spool: fresh(), flushAt: 3, retryDelayMs: 40, maxRetryDelayMs: 250 });
    for (let i = 0; i < 3; i++) await q.enqueue(ev(i));
    // The server counts an event before its answer reaches the queue: wait for the queue to count it too.
    await until(() => q.stats().delivered === 3);
    expect(delivered()).toEqual(ids(3));
    expect(q.stats()).toMatchObject({ delivered: 3, failed: 0, pending: 0 });
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // 40, 80, 160 ms less up to a quarter of jitter, then the 250 ms bound: lower bounds hold on any machine.
    [30, 60, 120, 250, 250, 250].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least - 5));
    expect(Math.max(...gaps)).toBeLessThan(5_000);
    await q.shutdown();
  });

  it("honours Retry-After between its own tries", async () => {
    const times: number[] = [];
    reset((_r, res, k) => {
      times.push(Date.now());
      return k === 1
        ? (json(res, 429, { message: "slow down", statusCode: 429 }, { "retry-after": "0.4" }), true)
        : false;
    });
    const q = client().ingest.queue({ spool: fresh(), flushAt: 2, retryDelayMs: 1 });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await until(() => ctx.server.accepted.size === 2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(395);
    await q.shutdown();
  });

  it("writes refused events to the dead-letter file with the reason, reports them, and delivers the rest", async () => {
    reset();
    const dir = fresh();
    const refused: string[] = [];
    const q = client().ingest.queue({
      spool: dir,
      flushAt: 4,
      onEventError: (err, e) => refused.push(`${e.properties?.n} ${err.code}`),
    });
    for (let i = 0; i < 4; i++)
      await q.enqueue(ev(i, i === 2 ? { properties: { refuse: "yes" }, resource_scope: "global" } : {}));
    await q.flush();
    expect(delivered()).toEqual(["0", "1", "3"]);
    expect(refused).toEqual(["2 category_resource_not_found"]);
    const dead = lines(join(dir, "dead-letter.jsonl")).map((l) => JSON.parse(l));
    expect(dead).toHaveLength(1);
    // In the form enqueue() takes (resource_scope, not the bulk field scope), ready to be sent again.
    expect(dead[0]).toMatchObject({
      event: { properties: { n: "2", refuse: "yes" }, resource_scope: "global" },
      reason: "404 category_resource_not_found refused 2",
    });
    expect(q.stats()).toMatchObject({ delivered: 3, failed: 1, pending: 0 });
    await q.shutdown();
    expect(client().ingest.queue({ spool: dir }).stats().pending).toBe(0);
  });

  it("sends a batch refused as a whole to the dead-letter file and onError, and no longer tries it", async () => {
    reset((_r, res) => (json(res, 403, { message: "not allowed", statusCode: 403 }), true));
    const dir = fresh();
    const errors: string[] = [];
    const q = client().ingest.queue({
      spool: dir,
      flushAt: 2,
      onError: (err, events) => errors.push(`${err.name} ${events.length}`),
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await q.flush();
    expect(errors).toEqual(["PermissionDeniedError 2"]);
    expect(lines(join(dir, "dead-letter.jsonl")).map((l) => JSON.parse(l).reason)).toEqual([
      "403 not allowed",
      "403 not allowed",
    ]);
    expect(q.stats()).toMatchObject({ failed: 2, pending: 0 });
    await q.shutdown();
  });

  it("without a spool, a failure with no handler set is logged at warn with the count of events lost", async () => {
    const log = logs();
    const q = client({ baseURL: await deadURL(), logger: log.logger }).ingest.queue({ flushAt: 3 });
    for (let i = 0; i < 3; i++) await q.enqueue(ev(i));
    await q.flush();
    expect(q.stats()).toMatchObject({ failed: 3, pending: 0 });
    expect(log.warnings().join("\n")).toMatch(/batch of 3 event\(s\) failed .*no onError is set: they are lost/);
    for (const s of log.seen) expect(s.message).not.toContain(KEY);
  });
});

describe("spool I/O failures", () => {
  it("enqueue rejects, naming the spool and the cause, when the spool file became a directory; the event is not counted", async () => {
    reset();
    const dir = fresh();
    const q = client().ingest.queue({ spool: dir, flushAt: 100 });
    await q.enqueue(ev(0));
    const events = join(dir, "events.jsonl");
    const kept = readFileSync(events);
    rmSync(events);
    mkdirSync(events);
    const err = await q.enqueue(ev(1)).catch((e) => e);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/EISDIR.*the event was not accepted/);
    expect(q.stats()).toMatchObject({ accepted: 1, pending: 1 });
    rmSync(events, { recursive: true });
    writeFileSync(events, kept);
    await q.enqueue(ev(2));
    await q.shutdown();
    expect(delivered()).toEqual(["0", "2"]);
  });

  it("retries and logs acknowledgements it cannot write, without an unhandled rejection", async () => {
    reset();
    const dir = fresh();
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ spool: dir, flushAt: 2, retryDelayMs: 30 });
    for (let i = 0; i < 3; i++) await q.enqueue(ev(i)); // 2 go out, 1 stays pending so acks are appended
    const acks = join(dir, "acks.jsonl");
    rmSync(acks, { force: true });
    mkdirSync(acks);
    await until(() => ctx.server.accepted.size === 2);
    await until(() => log.warnings().some((w) => /could not record delivered events .*EISDIR.*trying again/.test(w)));
    expect(q.stats()).toMatchObject({ delivered: 2, pending: 1 });
    rmSync(acks, { recursive: true });
    await until(() => lines(acks).length === 1);
    expect(JSON.parse(lines(acks)[0]).length).toBe(2);
    await q.shutdown({ timeoutMs: 0 });
    // The next queue sends only the one never delivered.
    reset();
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats().pending).toBe(1);
    await next.shutdown();
    expect(delivered()).toEqual(["2"]);
  });

  it("enqueue rejects on a read-only spool file, for a user without root", async () => {
    const base = mkdtempSync(join(tmpdir(), "payi-ro-"));
    try {
      chmodSync(base, 0o777);
      const dir = join(base, "spool");
      mkdirSync(dir, { mode: 0o777 });
      chmodSync(dir, 0o777);
      writeFileSync(join(dir, "events.jsonl"), "");
      chmodSync(join(dir, "events.jsonl"), 0o444);
      const root = process.getuid?.() === 0;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            "--import",
            "tsx",
            fileURLToPath(new URL("../fixtures/queue-child.ts", import.meta.url)),
            "enqueue",
            ctx.server.url,
            dir,
          ],
          {
            timeout: 20_000,
            ...(root ? { uid: 65534, gid: 65534 } : {}),
            cwd: fileURLToPath(new URL("../..", import.meta.url)),
            env: { ...process.env, HOME: base },
          },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      const { result, stats } = JSON.parse(out);
      expect(result).toContain(dir);
      expect(result).toMatch(/PayiError: .*EACCES.*the event was not accepted/);
      expect(stats).toMatchObject({ accepted: 0, pending: 0 });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("opens on a full disk (no room even for the lock's pid) and delivers what was spooled", async () => {
    const dir = fresh();
    mkdirSync(dir);
    // 1,500 of 2,000 spooled events acknowledged: opening must not need room for a full copy.
    writeFileSync(
      join(dir, "events.jsonl"),
      Array.from({ length: 2_000 }, (_, i) => `${JSON.stringify({ id: i + 1, event: ev(i) })}\n`).join(""),
    );
    writeFileSync(join(dir, "acks.jsonl"), `${JSON.stringify(Array.from({ length: 1_500 }, (_, i) => i + 1))}\n`);
    const full = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    spoolIo.fs = {
      writeSync: () => {
        throw full();
      },
      renameSync: () => {
        throw full();
      },
    };
    reset();
    const log = logs();
    const q = client({ logger: log.logger }).ingest.queue({ spool: dir, flushAt: 500, retryDelayMs: 20 });
    expect(q.stats()).toMatchObject({ accepted: 500, pending: 500 });
    await expect(q.enqueue(ev(9_999))).rejects.toThrow(/ENOSPC.*the event was not accepted/);
    await q.flush();
    expect(delivered()).toEqual(
      Array.from({ length: 500 }, (_, i) => String(1_500 + i)).sort((a, b) => Number(a) - Number(b)),
    );
    expect(q.stats()).toMatchObject({ accepted: 500, delivered: 500, pending: 0 });
    expect(log.warnings().join("\n")).toMatch(/lock could not take this process's id \(ENOSPC/);
    spoolIo.fs = undefined;
    await q.shutdown();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });
});

describe("records whole or not at all", () => {
  const bulk = (i: number) => ev(i) as unknown as Record<string, unknown>;

  it("cuts a short write back, so the file holds whole records only", () => {
    const dir = fresh();
    const realWrite = fs.writeSync;
    let short = false;
    spoolIo.fs = {
      writeSync: ((fd: number, data: Buffer) =>
        realWrite(fd, short ? data.subarray(0, 10) : data)) as typeof fs.writeSync,
    };
    const spool = new Spool<Record<string, unknown>>(dir);
    spool.recover();
    spool.append(bulk(1));
    short = true;
    expect(() => spool.append(bulk(2))).toThrow(
      /could not be written \(short write: 10 of \d+ bytes.*the event was not accepted/,
    );
    short = false;
    spool.append(bulk(3));
    spool.close();
    expect(lines(join(dir, "events.jsonl")).map((l) => JSON.parse(l).event.properties.n)).toEqual(["1", "3"]);
  });

  it("starts the next record on a fresh line when a torn one cannot be cut back, and recovery keeps the records around it", () => {
    const dir = fresh();
    const realWrite = fs.writeSync;
    let broken = false;
    spoolIo.fs = {
      writeSync: ((fd: number, data: Buffer) =>
        realWrite(fd, broken ? data.subarray(0, 12) : data)) as typeof fs.writeSync,
      ftruncateSync: () => {
        if (broken) throw Object.assign(new Error("EIO"), { code: "EIO" });
      },
    };
    const spool = new Spool<Record<string, unknown>>(dir);
    spool.recover();
    spool.append(bulk(1));
    broken = true;
    expect(() => spool.append(bulk(2))).toThrow(PayiError);
    broken = false;
    spool.append(bulk(3));
    spool.close();
    spoolIo.fs = undefined;
    const again = new Spool<Record<string, unknown>>(dir);
    expect(again.recover().map((r) => r.event.properties)).toEqual([{ n: "1" }, { n: "3" }]);
    again.close();
  });

  it("recovers the record that a torn one ran into, and ends a torn tail before appending", () => {
    const dir = fresh();
    mkdirSync(dir);
    const rec = (id: number) => JSON.stringify({ id, event: bulk(id) });
    writeFileSync(join(dir, "events.jsonl"), `${rec(1)}\n{"id":2,"event":{"cat${rec(3)}\n${rec(4)}\n{"id":5,"ev`);
    writeFileSync(join(dir, "acks.jsonl"), "[4]\n[1,");
    const spool = new Spool<Record<string, unknown>>(dir);
    expect(spool.recover().map((r) => r.id)).toEqual([1, 3]);
    spool.append(bulk(6));
    spool.close();
    const again = new Spool<Record<string, unknown>>(dir);
    expect(again.recover().map((r) => r.event.properties)).toEqual([{ n: "1" }, { n: "3" }, { n: "6" }]);
    again.close();
  });
});

describe("shutdown({ timeoutMs })", () => {
  const silent = async () => {
    const s = http.createServer(() => {});
    const closed: number[] = [];
    s.on("connection", (sock) => sock.on("close", () => closed.push(Date.now())));
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return {
      url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
      closed,
      stop: () => (s.closeAllConnections(), new Promise((r) => s.close(r))),
    };
  };

  it("stops the requests in flight at the deadline; what they carried stays spooled", async () => {
    const black = await silent();
    const dir = fresh();
    const q = client({ baseURL: black.url, maxRetries: 2, timeout: 60_000 }).ingest.queue({ spool: dir, flushAt: 3 });
    for (let i = 0; i < 3; i++) await q.enqueue(ev(i));
    await until(() => q.stats().pending === 3 && black.closed.length === 0);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await q.shutdown({ timeoutMs: 100 });
    await until(() => black.closed.length === 1, 5_000); // the request's connection is let go
    expect(black.closed[0] - started).toBeLessThan(5_000);
    expect(q.stats()).toMatchObject({ accepted: 3, failed: 0, pending: 3 });
    await black.stop();
    reset();
    const next = client().ingest.queue({ spool: dir });
    await next.shutdown();
    expect(delivered()).toEqual(ids(3));
  });

  it("without a spool, reports what the stopped requests carried to onError", async () => {
    const black = await silent();
    const errors: string[] = [];
    const q = client({ baseURL: black.url, maxRetries: 2, timeout: 60_000 }).ingest.queue({
      flushAt: 2,
      onError: (err, events) => errors.push(`${err.name} ${events.length}`),
    });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1));
    await new Promise((r) => setTimeout(r, 100));
    await q.shutdown({ timeoutMs: 50 });
    expect(errors).toEqual(["APIUserAbortError 2"]);
    expect(q.stats()).toMatchObject({ failed: 2, pending: 0 });
    await black.stop();
  });

  it("lets the process exit at once", async () => {
    const black = await silent();
    const dir = fresh();
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("../fixtures/queue-child.ts", import.meta.url)),
          "shutdown",
          black.url,
          dir,
        ],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    // The request had 60 s to run and two retries: exiting well before that is the point.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(JSON.parse(out)).toMatchObject({ stats: { accepted: 3, pending: 3 }, failed: [] });
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(3);
    await black.stop();
  });
});

describe('overflow "wait"', () => {
  it("keeps the process up while enqueue() waits for room through an outage, and goes on once the service is back", async () => {
    const url = await deadURL();
    const received: number[] = [];
    const later = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(...JSON.parse(body).map((e: { properties: { n: string } }) => Number(e.properties.n)));
        json(res, 200, { ingest_count: 1, error_count: 0, errors: [] });
      });
    });
    const child = new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("../fixtures/queue-child.ts", import.meta.url)),
          "wait",
          url,
          fresh(),
        ],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    await new Promise((r) => setTimeout(r, 1_500)); // the outage
    await new Promise<void>((r) => later.listen(Number(new URL(url).port), "127.0.0.1", r));
    try {
      expect(JSON.parse(await child).stats).toMatchObject({ accepted: 12, delivered: 12, pending: 0 });
      expect(received.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    } finally {
      later.closeAllConnections();
      await new Promise((r) => later.close(r));
    }
  });
});

describe("options", () => {
  it("take their defaults when passed as undefined", async () => {
    reset();
    const o: IngestQueueOptions = {
      flushAt: undefined,
      flushInterval: undefined,
      concurrency: undefined,
      maxQueueSize: undefined,
      overflow: undefined,
      spool: undefined,
      retryDelayMs: undefined,
    };
    const q = client().ingest.queue(o);
    await q.enqueue(ev(0));
    await q.shutdown();
    expect(delivered()).toEqual(["0"]);
  });
});
