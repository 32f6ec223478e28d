// How a spool writes its files: what fsync flushes, when the files are compacted (and what a
// compaction that fails leaves), acknowledgements that cannot be written yet, and a
// dead-letter file only once something was refused.
import fs, { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { Spool, spoolIo } from "../../src/ingest/spool.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("spool-writes");
let n = 0;
const fresh = () => join(ctx.dir, `spool-${++n}`);
const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
type Event = ReturnType<typeof ev>;
/** A spool in a fresh directory with `count` events appended; returns it and their ids. */
function filled(count: number, options: ConstructorParameters<typeof Spool>[1] = {}) {
  const dir = fresh();
  const spool = new Spool<Event>(dir, options);
  spool.recover();
  const ids = Array.from({ length: count }, (_, k) => spool.append(ev(k)));
  return { dir, spool, ids, events: join(dir, "events.jsonl"), acks: join(dir, "acks.jsonl") };
}

afterEach(() => {
  spoolIo.fs = undefined;
  vi.useRealTimers();
});

describe("fsync", () => {
  /** Counts the files the spools opened from now on flush to disk. */
  function counting(): { count: number } {
    const seen = { count: 0 };
    spoolIo.fs = { fsyncSync: () => void seen.count++ };
    return seen;
  }

  it("true: each append and each acknowledgement is flushed to disk before it returns", () => {
    const flushed = counting();
    const { spool, ids } = filled(3, { fsync: true });
    expect(flushed.count).toBe(3);
    spool.ack([ids[0]]);
    expect(flushed.count).toBe(4);
    spool.close();
  });

  it("left out: nothing is flushed (the OS has the data, which survives the process)", () => {
    const flushed = counting();
    const { spool, ids } = filled(3);
    spool.ack([ids[0]]);
    spool.close();
    expect(flushed.count).toBe(0);
  });

  it("left out: a compaction is not flushed either", () => {
    const { dir, spool: first, ids } = filled(1_001);
    first.close();
    const flushed = counting();
    const spool = new Spool<Event>(dir);
    spool.recover();
    spool.ack(ids.slice(0, 1_000));
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(1);
    expect(flushed.count).toBe(0);
    spool.close();
  });

  it("true: a compaction is flushed too", () => {
    const { dir, spool: first, ids } = filled(1_001);
    first.close();
    const flushed = counting();
    const spool = new Spool<Event>(dir, { fsync: true });
    spool.recover();
    spool.ack(ids.slice(0, 1_000));
    expect(flushed.count).toBe(2); // the acknowledgement, then the compacted file
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(1);
    spool.close();
  });
});

describe("compaction", () => {
  it("waits for 1,000 acknowledged events, then keeps only the pending ones", () => {
    const { spool, ids, events, acks } = filled(1_001);
    spool.ack(ids.slice(0, 999));
    expect(lines(events)).toHaveLength(1_001);
    expect(lines(acks)).toHaveLength(1);
    spool.ack([ids[999]]);
    expect(lines(events).map((l) => JSON.parse(l).id)).toEqual([ids[1_000]]);
    expect(lines(acks)).toEqual([]);
    spool.close();
    const again = new Spool<Event>(join(events, ".."));
    expect(again.recover().map((r) => r.event.properties.n)).toEqual(["1000"]);
    again.close();
  });

  it("waits while acknowledged events do not outnumber pending ones", () => {
    const { spool, ids, events } = filled(2_000);
    spool.ack(ids.slice(0, 1_000));
    expect(lines(events)).toHaveLength(2_000);
    spool.ack([ids[1_000]]);
    // Each pending record on a line of its own.
    expect(lines(events).map((l) => JSON.parse(l).id)).toEqual(ids.slice(1_001));
    spool.close();
  });

  it("counts the acknowledged lines a previous process left, and compacts at the next acknowledgement", () => {
    const first = filled(1_002);
    first.spool.ack(first.ids.slice(0, 999));
    first.spool.close();
    const spool = new Spool<Event>(first.dir);
    expect(spool.recover()).toHaveLength(3);
    expect(lines(first.events)).toHaveLength(1_002);
    spool.ack([first.ids[999]]);
    expect(lines(first.events)).toHaveLength(2);
    spool.close();
  });

  it("counts only the acknowledged lines a previous process left, not every line", () => {
    const first = filled(1_000);
    first.spool.ack(first.ids.slice(0, 500));
    first.spool.close();
    const spool = new Spool<Event>(first.dir);
    expect(spool.recover()).toHaveLength(500);
    spool.ack(first.ids.slice(500, 900)); // 900 acknowledged lines: not yet
    expect(lines(first.events)).toHaveLength(1_000);
    spool.close();
  });

  it("that fails leaves both files as they were, says so, and is tried again once twice as many lines pile up", () => {
    let failRename = true;
    spoolIo.fs = {
      renameSync: (from, to) => {
        if (failRename) throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
        fs.renameSync(from, to);
      },
    };
    const warnings: string[] = [];
    const { spool, ids, events, acks, dir } = filled(1_500, { warn: (m) => warnings.push(m) });
    spool.ack(ids.slice(0, 1_000));
    expect(warnings).toEqual([
      `ingest.queue: the spool ${dir} could not be compacted (EIO: i/o error, rename); it keeps growing until it can.`,
    ]);
    expect(lines(events)).toHaveLength(1_500);
    expect(lines(acks)).toHaveLength(1);
    expect(existsSync(`${events}.tmp`)).toBe(false);
    failRename = false;
    const more = Array.from({ length: 600 }, (_, k) => spool.append(ev(1_500 + k)));
    spool.ack([...ids.slice(1_000), ...more.slice(0, 499)]);
    expect(lines(events)).toHaveLength(2_100);
    spool.ack([more[499]]);
    expect(lines(events)).toHaveLength(100);
    expect(warnings).toHaveLength(1);
    // Compacted again: back to every 1,000.
    const last = Array.from({ length: 1_000 }, (_, k) => spool.append(ev(2_100 + k)));
    spool.ack([...more.slice(500), ...last.slice(0, 900)]);
    expect(lines(events)).toHaveLength(100);
    spool.close();
  });
});

describe("a compaction cut short (a full disk)", () => {
  it("leaves events.jsonl whole and says so", () => {
    let full = false;
    spoolIo.fs = {
      // The compacted file is the one large write here: cut it short.
      writeSync: ((fd: number, data: Buffer) =>
        fs.writeSync(fd, full && data.length > 20_000 ? data.subarray(0, 100) : data)) as typeof fs.writeSync,
    };
    const warnings: string[] = [];
    const { spool, ids, events, dir } = filled(1_500, { warn: (m) => warnings.push(m) });
    const before = readFileSync(events, "utf8");
    full = true;
    spool.ack(ids.slice(0, 1_000));
    expect(warnings).toEqual([
      `ingest.queue: the spool ${dir} could not be compacted (short write to ${events}.tmp); it keeps growing until it can.`,
    ]);
    expect(readFileSync(events, "utf8")).toBe(before);
    expect(existsSync(`${events}.tmp`)).toBe(false);
    spool.close();
    const again = new Spool<Event>(dir);
    expect(again.recover()).toHaveLength(500);
    again.close();
  });
});

describe("once nothing is pending", () => {
  it("both files are emptied, even before any acknowledgement was written", () => {
    const warnings: string[] = [];
    const { spool, ids, events, acks } = filled(2, { warn: (m) => warnings.push(m) });
    spool.ack(ids);
    expect(readFileSync(events, "utf8")).toBe("");
    expect(existsSync(acks)).toBe(false);
    expect(warnings).toEqual([]);
    spool.close();
  });
});

describe("acknowledgements that cannot be written", () => {
  it("are tried again after a wait that doubles from 1 s up to 30 s, and the spool says when it takes them again", () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const { spool, ids, acks, dir } = filled(2, { warn: (m) => warnings.push(m) });
    mkdirSync(acks);
    spool.ack([ids[0]]);
    for (let k = 0; k < 6; k++) vi.advanceTimersToNextTimer();
    const waits = warnings.map(
      (w) => /could not record delivered events \(EISDIR.*; trying again in (\d+) ms\.$/.exec(w)?.[1],
    );
    expect(waits).toEqual(["1000", "2000", "4000", "8000", "16000", "30000", "30000"]);
    rmSync(acks, { recursive: true });
    vi.advanceTimersToNextTimer();
    expect(warnings.at(-1)).toBe(`ingest.queue: the spool ${dir} takes acknowledgements again.`);
    expect(lines(acks)).toEqual([JSON.stringify([ids[0]])]);
    spool.close();
    expect(warnings).toHaveLength(8);
  });

  it("are not tried again sooner for an acknowledgement of nothing, or of ids the spool does not hold", () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const { spool, ids, acks } = filled(2, { warn: (m) => warnings.push(m) });
    mkdirSync(acks);
    spool.ack([ids[0]]);
    spool.ack([]);
    spool.ack([99]);
    expect(warnings).toHaveLength(1);
    spool.close();
  });

  it("are named at close, as sent again by a later queue", () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const { spool, ids, acks, dir } = filled(3, { warn: (m) => warnings.push(m), retryMs: 50 });
    mkdirSync(acks);
    spool.ack(ids.slice(0, 2));
    spool.close();
    expect(warnings.at(-1)).toBe(
      `ingest.queue: 2 acknowledgement(s) could not be written to the spool ${dir}; a later queue on it sends those events again.`,
    );
    vi.advanceTimersByTime(1_000);
    expect(warnings).toHaveLength(3); // no try after close
    rmSync(acks, { recursive: true });
    const again = new Spool<Event>(dir);
    expect(again.recover().map((r) => r.id)).toEqual(ids);
    again.close();
  });
});

describe("the dead-letter file", () => {
  it("is not made while nothing is refused", async () => {
    ctx.server.behave(() => false);
    const dir = fresh();
    const q = new AsyncPayi({
      apiKey: "spool-writes-key",
      baseURL: ctx.server.url,
      maxRetries: 0,
      logLevel: "off",
    }).ingest.queue({ spool: dir, flushAt: 2 });
    for (let k = 0; k < 4; k++) await q.enqueue(ev(k));
    await q.shutdown();
    expect(q.stats()).toMatchObject({ delivered: 4, failed: 0 });
    expect(existsSync(join(dir, "dead-letter.jsonl"))).toBe(false);
  });
});
