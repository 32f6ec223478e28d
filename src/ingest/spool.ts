/**
 * The queue's durability. In the spool directory:
 *
 * - `events.jsonl`: one line `{"id":N,"event":{...}}` per accepted event (the bulk form),
 *   appended synchronously before `enqueue` resolves;
 * - `acks.jsonl`: one id per line, appended once that event is settled (delivered, reported
 *   failed to onError/onEventError, or dropped by "drop-oldest");
 * - `lock`: the pid of the process whose queue owns the directory.
 *
 * A new queue on the directory resumes the events that are not acknowledged. Both files are
 * compacted (pending events rewritten to a temporary file renamed over `events.jsonl`, then
 * `acks.jsonl` emptied) when a queue opens the spool and whenever acknowledged lines
 * outnumber pending ones, so the files stay about as large as what is pending.
 *
 * Appends are synchronous writes: once `enqueue` resolves, the event survives the process
 * dying at any point (the data is in the OS). With `fsync: true` each append and each
 * compaction is also flushed to disk, to survive a machine crash, at the cost of a disk
 * round trip per event.
 */
import { PayiError } from "../runtime/errors.js";
import { node } from "./node.js";

type Fs = typeof import("node:fs");

export interface SpooledEvent<T> {
  id: number;
  event: T;
}

/** Compaction waits for at least this many acknowledged lines: rewriting is not free. */
const COMPACT_AFTER = 1_000;
/** Directories a queue of this process holds, to tell a live lock of ours from a stale one. */
const held = new Set<string>();

export class Spool<T> {
  readonly #dir: string;
  readonly #events: string;
  readonly #acks: string;
  readonly #lock: string;
  readonly #fsync: boolean;
  readonly #fs: Fs;
  /** The line of every event not yet acknowledged, by id, for compaction. */
  readonly #pending = new Map<number, string>();
  #acked = 0;
  #nextId = 1;
  #closed = false;

  constructor(directory: string, options: { fsync?: boolean } = {}) {
    this.#fs = node<Fs>("node:fs", "ingest.queue's spool");
    const { join, resolve } = node<typeof import("node:path")>("node:path", "ingest.queue's spool");
    this.#dir = resolve(directory);
    this.#fs.mkdirSync(this.#dir, { recursive: true });
    this.#events = join(this.#dir, "events.jsonl");
    this.#acks = join(this.#dir, "acks.jsonl");
    this.#lock = join(this.#dir, "lock");
    this.#fsync = options.fsync ?? false;
    this.#acquire();
  }

  /** The events a previous process accepted and nobody acknowledged, in order. */
  recover(): SpooledEvent<T>[] {
    const acked = new Set<number>();
    for (const line of this.#lines(this.#acks)) {
      const id = Number(line);
      if (Number.isInteger(id)) {
        acked.add(id);
        this.#nextId = Math.max(this.#nextId, id + 1);
      }
    }
    const out: SpooledEvent<T>[] = [];
    for (const line of this.#lines(this.#events)) {
      let entry: SpooledEvent<T>;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // a line cut short by a crash mid-write: its enqueue never resolved
      }
      if (!Number.isInteger(entry?.id)) continue;
      this.#nextId = Math.max(this.#nextId, entry.id + 1);
      if (!acked.has(entry.id) && !this.#pending.has(entry.id)) {
        this.#pending.set(entry.id, line);
        out.push(entry);
      }
    }
    // Also ends a torn last line, which would otherwise swallow the next append.
    this.#compact();
    return out;
  }

  append(event: T): number {
    if (this.#closed) throw new PayiError("ingest.queue: the spool is closed.");
    const id = this.#nextId++;
    const line = JSON.stringify({ id, event });
    this.#write(this.#events, `${line}\n`);
    this.#pending.set(id, line);
    return id;
  }

  ack(ids: number[]): void {
    const known = ids.filter((id) => this.#pending.delete(id));
    if (!known.length || this.#closed) return;
    if (!this.#pending.size) return this.#compact();
    this.#write(this.#acks, `${known.join("\n")}\n`);
    this.#acked += known.length;
    if (this.#acked >= COMPACT_AFTER && this.#acked > this.#pending.size) this.#compact();
  }

  /** Gives the directory up for another queue. Events still pending stay in it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    held.delete(this.#dir);
    try {
      if (this.#fs.readFileSync(this.#lock, "utf8").trim() === String(process.pid)) this.#fs.unlinkSync(this.#lock);
    } catch {
      // already gone
    }
  }

  /**
   * Rewrites events.jsonl with the pending events only, then empties acks.jsonl. A crash in
   * between leaves acknowledgements of ids no longer present, which are harmless: ids are
   * never reused (the next id is past every id either file holds).
   */
  #compact(): void {
    const fs = this.#fs;
    const tmp = `${this.#events}.tmp`;
    const text = [...this.#pending.values()].map((l) => `${l}\n`).join("");
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, text);
      if (this.#fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.#events);
    fs.writeFileSync(this.#acks, "");
    this.#acked = 0;
  }

  /** One queue per directory: two would acknowledge each other's ids. A lock whose process is gone is taken over. */
  #acquire(): void {
    const fs = this.#fs;
    if (held.has(this.#dir)) throw this.#busy(process.pid);
    try {
      fs.writeFileSync(this.#lock, String(process.pid), { flag: "wx" });
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const owner = Number(fs.readFileSync(this.#lock, "utf8").trim());
      // Our own pid without our own hold is a previous run that had the same pid (containers do).
      if (owner !== process.pid && alive(owner)) throw this.#busy(owner);
      fs.writeFileSync(this.#lock, String(process.pid));
    }
    held.add(this.#dir);
  }

  #busy(pid: number): PayiError {
    return new PayiError(
      `ingest.queue: the spool ${this.#dir} is in use by ${pid === process.pid ? "another queue of this process (shut it down first)" : `process ${pid}`}. ` +
        `Use one spool directory per queue; if that process is gone, delete ${this.#lock}.`,
    );
  }

  #write(file: string, text: string): void {
    const fs = this.#fs;
    if (!this.#fsync) return fs.appendFileSync(file, text);
    const fd = fs.openSync(file, "a");
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  #lines(file: string): string[] {
    return this.#fs.existsSync(file) ? this.#fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as { code?: string }).code === "EPERM";
  }
}
