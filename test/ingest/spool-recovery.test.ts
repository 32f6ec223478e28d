// A spool opened again: records that cannot be ids, the same record twice, a lock holding
// this process's own pid, a lock that cannot be read, a spool closed twice or written after
// close, and what an error about it carries.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { PayiError } from "../../src/index.js";
import { Spool, spoolIo } from "../../src/ingest/spool.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("spool-recovery");
let n = 0;
type Event = ReturnType<typeof ev>;
/** A spool directory holding these files. */
const spoolDir = (files: Record<string, string> = {}) => {
  const dir = join(ctx.dir, `spool-${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const record = (id: unknown, k: number) => `${JSON.stringify({ id, event: ev(k) })}\n`;
afterEach(() => {
  spoolIo.fs = undefined;
});
/** The error `fn` throws. */
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as PayiError & { cause?: { code?: string } };
  }
  throw new Error("did not throw");
};
/** Timers that keep the process alive (an unref'd one is not listed). */
const liveTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("a spool's records", () => {
  it("skip ids that are not whole numbers, in either file, and give the next event an id past the others", () => {
    const dir = spoolDir({
      "events.jsonl": `${record(1, 1) + record("2", 2) + record(2.5, 3) + record(null, 4)}null\n${record(3, 5)}`,
      "acks.jsonl": '[3,"x",7.5,null]\n',
    });
    const spool = new Spool<Event>(dir);
    expect(spool.recover().map((r) => [r.id, r.event.properties.n])).toEqual([[1, "1"]]);
    expect([spool.append(ev(6)), spool.append(ev(7))]).toEqual([4, 5]);
    spool.close();
    // The file ended with a whole line: the next record follows it, with no blank line between.
    const text = readFileSync(join(dir, "events.jsonl"), "utf8");
    expect(text).not.toContain("\n\n");
    expect(
      text.endsWith(`${JSON.stringify({ id: 4, event: ev(6) })}\n${JSON.stringify({ id: 5, event: ev(7) })}\n`),
    ).toBe(true);
    const again = new Spool<Event>(dir);
    expect(again.recover().map((r) => [r.id, r.event.properties.n])).toEqual([
      [1, "1"],
      [4, "6"],
      [5, "7"],
    ]);
    again.close();
  });

  it("give an event written twice (by an interrupted compaction) once", () => {
    const dir = spoolDir({ "events.jsonl": record(1, 1) + record(2, 2) + record(1, 1) });
    const spool = new Spool<Event>(dir);
    expect(spool.recover().map((r) => r.id)).toEqual([1, 2]);
    spool.close();
  });
});

describe("a spool's lock", () => {
  it("holding this process's own pid, but no queue of it, is a previous run's (containers reuse pids): taken over", () => {
    const dir = spoolDir({ lock: String(process.pid) });
    const spool = new Spool<Event>(dir);
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.pid));
    spool.close();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("that cannot be read keeps the queue out, naming the spool and the cause", () => {
    const dir = spoolDir();
    mkdirSync(join(dir, "lock"));
    const err = thrown(() => new Spool<Event>(dir));
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toMatch(new RegExp(`^ingest\\.queue: the spool ${dir} cannot be locked \\(EISDIR[^)]*\\)\\.$`));
    expect(err.cause?.code).toBe("EISDIR");
    expect(Object.keys(err)).not.toContain("cause");
    rmSync(join(dir, "lock"), { recursive: true });
    new Spool<Event>(dir).close(); // and the directory is not held by the spool that failed
  });

  it("that cannot be made (a full or read-only disk) keeps the queue out, naming that cause", () => {
    const dir = spoolDir();
    spoolIo.fs = {
      openSync: ((path: string, flags: string) => {
        if (flags === "wx") throw Object.assign(new Error("ENOSPC: no space left on device, open"), { code: "ENOSPC" });
        return fs.openSync(path, flags);
      }) as typeof fs.openSync,
    };
    const err = thrown(() => new Spool<Event>(dir));
    expect(err.message).toBe(
      `ingest.queue: the spool ${dir} cannot be locked (ENOSPC: no space left on device, open).`,
    );
    expect(err.cause?.code).toBe("ENOSPC");
  });
});

describe("a spool directory", () => {
  it("that cannot be made keeps the queue out, naming it and the cause", () => {
    const file = join(spoolDir(), "a-file");
    writeFileSync(file, "");
    const err = thrown(() => new Spool<Event>(join(file, "spool")));
    expect(err.message).toMatch(
      new RegExp(`^ingest\\.queue: the spool ${join(file, "spool")} cannot be created \\(ENOTDIR[^)]*\\)\\.$`),
    );
    expect(err.cause?.code).toBe("ENOTDIR");
  });
});

describe("a closed spool", () => {
  it("takes no event, naming why", () => {
    const spool = new Spool<Event>(spoolDir());
    spool.recover();
    spool.close();
    expect(() => spool.append(ev(1))).toThrow(new PayiError("ingest.queue: the spool is closed."));
  });

  it("closed again leaves alone the queue that took the directory over", () => {
    const dir = spoolDir();
    const first = new Spool<Event>(dir);
    first.close();
    const second = new Spool<Event>(dir);
    first.close();
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.pid));
    expect(() => new Spool<Event>(dir)).toThrow(/in use by another queue of this process/);
    second.close();
  });

  it("ignores acknowledgements that come after close, and of ids it does not hold", () => {
    const dir = spoolDir();
    const spool = new Spool<Event>(dir);
    spool.recover();
    const ids = [spool.append(ev(0)), spool.append(ev(1))];
    spool.ack([99]);
    expect(existsSync(join(dir, "acks.jsonl"))).toBe(false);
    spool.close();
    expect(existsSync(join(dir, "acks.jsonl"))).toBe(false); // closing with events pending writes no acknowledgement
    spool.ack(ids);
    const again = new Spool<Event>(dir);
    expect(again.recover().map((r) => r.id)).toEqual(ids);
    again.close();
  });
});

describe("an acknowledgement that cannot be written", () => {
  it("is tried again on a timer that does not keep the process alive", () => {
    const warnings: string[] = [];
    const dir = spoolDir();
    const spool = new Spool<Event>(dir, { warn: (m) => warnings.push(m), retryMs: 60_000 });
    spool.recover();
    const ids = [spool.append(ev(0)), spool.append(ev(1))];
    mkdirSync(join(dir, "acks.jsonl"));
    const before = liveTimers();
    spool.ack([ids[0]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/trying again in 30000 ms\.$/);
    expect(liveTimers()).toBe(before);
    spool.close();
  });
});

describe("a write that fails", () => {
  it("cut short is refused with the cause a full disk gives (ENOSPC)", () => {
    let short = false;
    spoolIo.fs = {
      writeSync: ((fd: number, data: Buffer) =>
        fs.writeSync(fd, short ? data.subarray(0, 5) : data)) as typeof fs.writeSync,
    };
    const spool = new Spool<Event>(spoolDir());
    spool.recover();
    short = true;
    const err = thrown(() => spool.append(ev(0)));
    expect(err.cause?.code).toBe("ENOSPC");
    spool.close();
  });

  it("that cannot be cut back, or a torn last line found at opening, is followed by a record on a line of its own", () => {
    let torn = false;
    spoolIo.fs = {
      writeSync: ((fd: number, data: Buffer) =>
        fs.writeSync(fd, torn ? data.subarray(0, 12) : data)) as typeof fs.writeSync,
      ftruncateSync: (fd, len) => {
        if (torn) throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
        fs.ftruncateSync(fd, len);
      },
    };
    const dir = spoolDir({ "events.jsonl": `${record(1, 1)}{"id":2,"ev` });
    const spool = new Spool<Event>(dir);
    spool.recover();
    spool.append(ev(3));
    torn = true;
    expect(() => spool.append(ev(4))).toThrow(PayiError);
    torn = false;
    spool.append(ev(5));
    spool.close();
    const text = readFileSync(join(dir, "events.jsonl"), "utf8").split("\n");
    // Every whole record is a line that parses by itself.
    const whole = text.filter((l) => l.startsWith('{"id":') && l.endsWith("}"));
    expect(whole.map((l) => JSON.parse(l).event.properties.n)).toEqual(["1", "3", "5"]);
  });
});

describe.skipIf(!existsSync("/proc/self/fd"))("a spool's file descriptors", () => {
  it("are all closed again: after writes, a compaction, a failed write and close, none is left open", () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    const dir = spoolDir();
    const spool = new Spool<Event>(dir);
    spool.recover();
    const ids = Array.from({ length: 1_010 }, (_, k) => spool.append(ev(k)));
    spool.ack(ids.slice(0, 1_005));
    mkdirSync(join(dir, "dead-letter.jsonl"));
    spool.deadLetter([{ event: ev(1), reason: "refused" }]);
    spool.close();
    expect(open()).toBe(before);
  });
});
