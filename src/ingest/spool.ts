/**
 * The queue's durability. In the spool directory:
 *
 * - `events.jsonl`: one line `{"id":N,"event":{...}}` per accepted event (the bulk form),
 *   appended synchronously before `enqueue` resolves;
 * - `acks.jsonl`: one line `[id,...]` per acknowledgement, appended once those events are
 *   settled (delivered, refused for good, or dropped by "drop-oldest");
 * - `lock`: the pid of the process whose queue owns the directory.
 *
 * A new queue on the directory resumes the events that are not acknowledged. Records are
 * written whole or not at all: a write that fails or comes up short (a full disk) is cut
 * back to where it started, and when even that fails the next record starts on a fresh
 * line, so a torn record is one unreadable line that recovery skips. Recovery also reads a
 * record that a torn one ran into. Opening writes nothing but the lock (a full disk does not
 * stop a queue from opening); both files are compacted (pending events rewritten to a
 * temporary file renamed over `events.jsonl`, then `acks.jsonl` emptied) once acknowledged
 * events outnumber pending ones, and simply emptied when nothing is pending.
 *
 * Appends are synchronous writes: once `enqueue` resolves, the event survives the process
 * dying at any point (the data is in the OS). With `fsync: true` each append and each
 * compaction is also flushed to disk, to survive a machine crash, at the cost of a disk
 * round trip per event.
 */
import type { BulkIngestRequest } from "../generated/api.js";
import { PayiError } from "../runtime/errors.js";
import { toUnitsEvent } from "./event.js";
import { node } from "./node.js";

type Fs = typeof import("node:fs");

export interface SpooledEvent<T> {
  id: number;
  event: T;
}

export interface SpoolOptions {
  fsync?: boolean;
  /** Told about I/O failures the spool recovers from (an acknowledgement it will write later, a compaction put off). */
  warn?: (message: string) => void;
  /** First wait before an acknowledgement that could not be written is tried again, ms (doubles up to 30 s). Default 1 000. */
  retryMs?: number;
}

/** Replaces some of node:fs for the spools opened after it is set, so that tests can make writes fail or come up short. */
export const spoolIo: { fs?: Partial<Fs> } = {};

/** Compaction waits for at least this many acknowledged events: rewriting is not free. */
const COMPACT_AFTER = 1_000;
const MAX_ACK_RETRY_MS = 30_000;
/** Directories a queue of this process holds, to tell a live lock of ours from a stale one. */
const held = new Set<string>();

export class Spool<T> {
  readonly dir: string;
  readonly #events: string;
  readonly #acks: string;
  readonly #lock: string;
  readonly #deadLetter: string;
  readonly #fsync: boolean;
  readonly #fs: Fs;
  readonly #warn: (message: string) => void;
  readonly #retryMs: number;
  /** The line of every event not yet acknowledged, by id, for compaction. */
  readonly #pending = new Map<number, string>();
  /** Acknowledged ids whose line could not be written yet. */
  #unwritten: number[] = [];
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #ackFailures = 0;
  /** Event lines of acknowledged events still in events.jsonl. */
  #dead = 0;
  /** Compaction failed: try again once this many acknowledged lines pile up. */
  #compactAt = COMPACT_AFTER;
  /** Files whose last record may be torn (a failed write could not be cut back): the next one starts on a fresh line. */
  readonly #torn = new Set<string>();
  #nextId = 1;
  #closed = false;

  constructor(directory: string, options: SpoolOptions = {}) {
    this.#fs = { ...node<Fs>("node:fs", "ingest.queue's spool"), ...spoolIo.fs };
    // Stryker disable next-line StringLiteral: node:path comes with node:fs, whose absence is named just above
    const { join, resolve } = node<typeof import("node:path")>("node:path", "ingest.queue's spool");
    this.dir = resolve(directory);
    this.#events = join(this.dir, "events.jsonl");
    this.#acks = join(this.dir, "acks.jsonl");
    this.#lock = join(this.dir, "lock");
    this.#deadLetter = join(this.dir, "dead-letter.jsonl");
    this.#fsync = options.fsync ?? false;
    this.#warn = options.warn ?? (() => {});
    this.#retryMs = options.retryMs ?? 1_000;
    try {
      this.#fs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw this.#error("cannot be created", err);
    }
    this.#acquire();
  }

  /** Where refused events are written, one `{ event, reason, at }` line each. */
  get deadLetterFile(): string {
    return this.#deadLetter;
  }

  /** The events a previous process accepted and nobody acknowledged, in order. */
  recover(): SpooledEvent<T>[] {
    const acked = new Set<number>();
    for (const record of this.#records(this.#acks, "[")) {
      // Bare ids are what earlier versions wrote, one a line.
      for (const id of Array.isArray(record) ? record : [record]) {
        if (Number.isInteger(id)) {
          acked.add(id);
          this.#nextId = Math.max(this.#nextId, id + 1);
        }
      }
    }
    const out: SpooledEvent<T>[] = [];
    let lines = 0;
    for (const record of this.#records(this.#events, '{"id":')) {
      const entry = record as SpooledEvent<T>;
      if (!Number.isInteger(entry?.id)) continue;
      lines++;
      this.#nextId = Math.max(this.#nextId, entry.id + 1);
      if (!acked.has(entry.id) && !this.#pending.has(entry.id)) {
        this.#pending.set(entry.id, JSON.stringify(entry));
        out.push(entry);
      }
    }
    this.#dead = lines - out.length;
    return out;
  }

  /** Writes the event; throws a PayiError naming the spool and the cause when it cannot, leaving the file as it was. */
  append(event: T): number {
    if (this.#closed) throw new PayiError("ingest.queue: the spool is closed.");
    const id = this.#nextId;
    const line = JSON.stringify({ id, event });
    try {
      this.#write(this.#events, `${line}\n`);
    } catch (err) {
      throw this.#error("could not be written", err, "the event was not accepted");
    }
    this.#nextId++;
    this.#pending.set(id, line);
    return id;
  }

  /**
   * Records these events as settled. Never throws: what cannot be written is logged and
   * tried again later (until then, a crash means they are sent again, not lost).
   */
  ack(ids: number[]): void {
    const known = ids.filter((id) => this.#pending.delete(id));
    // Stryker disable next-line ConditionalExpression: once closed, #flushAcks writes nothing either
    if (!known.length || this.#closed) return;
    this.#unwritten.push(...known);
    this.#flushAcks();
  }

  /**
   * Appends refused events to the dead-letter file, in the form `enqueue` and backfill take;
   * false (and a warning) when it cannot, in which case the caller leaves them in the spool.
   */
  deadLetter(records: { event: T; reason: string }[]): boolean {
    // Stryker disable next-line BooleanLiteral: with nothing to write, the caller has nothing to settle either way
    if (!records.length) return true;
    const at = new Date().toISOString();
    try {
      this.#write(
        this.#deadLetter,
        records
          .map(
            (r) => `${JSON.stringify({ event: toUnitsEvent(r.event as BulkIngestRequest), reason: r.reason, at })}\n`,
          )
          .join(""),
      );
      return true;
    } catch (err) {
      this.#warn(
        `${this.#error("dead-letter file could not be written", err, `${records.length} refused event(s) stay in the spool`).message}`,
      );
      return false;
    }
  }

  /** Gives the directory up for another queue. Events still pending stay in it. */
  close(): void {
    if (this.#closed) return;
    this.#flushAcks();
    this.#closed = true;
    // Stryker disable next-line ConditionalExpression: a timer left (unref'd) would find the spool closed and write nothing
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    if (this.#unwritten.length)
      this.#warn(
        `ingest.queue: ${this.#unwritten.length} acknowledgement(s) could not be written to the spool ${this.dir}; a later queue on it sends those events again.`,
      );
    held.delete(this.dir);
    try {
      // Stryker disable next-line MethodExpression: a lock holds the pid as a queue wrote it, with no blanks
      const owner = this.#fs.readFileSync(this.#lock, "utf8").trim();
      if (owner === String(process.pid) || owner === "") this.#fs.unlinkSync(this.#lock);
    } catch {
      // already gone
    }
  }

  #flushAcks(): void {
    if (!this.#unwritten.length || this.#closed) return;
    // Stryker disable next-line ConditionalExpression: a retry timer left would find nothing unwritten and do nothing
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    try {
      if (!this.#pending.size) {
        // Nothing pending: both files can simply be emptied, which needs no room on the disk.
        this.#truncate(this.#events);
        this.#truncate(this.#acks);
        this.#dead = 0;
      } else {
        this.#write(this.#acks, `${JSON.stringify(this.#unwritten)}\n`);
        this.#dead += this.#unwritten.length;
      }
      this.#unwritten = [];
      if (this.#ackFailures) this.#warn(`ingest.queue: the spool ${this.dir} takes acknowledgements again.`);
      this.#ackFailures = 0;
    } catch (err) {
      const wait = Math.min(this.#retryMs * 2 ** this.#ackFailures++, MAX_ACK_RETRY_MS);
      this.#warn(this.#error("could not record delivered events", err, `trying again in ${wait} ms`).message);
      this.#ackTimer = setTimeout(() => this.#flushAcks(), wait);
      // Stryker disable next-line OptionalChaining: Node's and Bun's timers have unref; not those of a runtime whose timers are numbers
      (this.#ackTimer as { unref?: () => void }).unref?.();
      return;
    }
    if (this.#dead >= this.#compactAt && this.#dead > this.#pending.size) this.#compact();
  }

  /**
   * Rewrites events.jsonl with the pending events only, then empties acks.jsonl. A crash in
   * between leaves acknowledgements of ids no longer present, which are harmless: ids are
   * never reused (the next id is past every id either file holds). When it cannot (a full
   * disk), the files stay as they are, which is still correct, only larger.
   */
  #compact(): void {
    const fs = this.#fs;
    const tmp = `${this.#events}.tmp`;
    try {
      const text = Buffer.from([...this.#pending.values()].map((l) => `${l}\n`).join(""));
      const fd = fs.openSync(tmp, "w");
      try {
        if (fs.writeSync(fd, text) !== text.length) throw new Error(`short write to ${tmp}`);
        if (this.#fsync) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.#events);
      this.#torn.delete(this.#events);
      this.#truncate(this.#acks);
      this.#dead = 0;
      this.#compactAt = COMPACT_AFTER;
    } catch (err) {
      try {
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: without force, a missing file throws into the catch below: the same
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
      this.#compactAt = Math.max(COMPACT_AFTER, this.#dead * 2);
      this.#warn(this.#error("could not be compacted", err, "it keeps growing until it can").message);
    }
  }

  /**
   * One queue per directory: two would acknowledge each other's ids. A lock whose process is
   * gone is taken over. On a full disk the lock may stay empty (no room for the pid): the
   * queue still opens, and a later one takes an empty lock over.
   */
  #acquire(): void {
    const fs = this.#fs;
    if (held.has(this.dir)) throw this.#busy(process.pid);
    try {
      let fd: number;
      try {
        fd = fs.openSync(this.#lock, "wx");
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        // Stryker disable next-line MethodExpression: Number() ignores blanks around the pid itself
        const owner = Number(fs.readFileSync(this.#lock, "utf8").trim());
        // Our own pid without our own hold is a previous run that had the same pid (containers do).
        if (owner !== process.pid && alive(owner)) throw this.#busy(owner);
        fd = fs.openSync(this.#lock, "w");
      }
      try {
        fs.writeSync(fd, String(process.pid));
      } catch (err) {
        this.#warn(this.#error("lock could not take this process's id", err).message);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      throw err instanceof PayiError ? err : this.#error("cannot be locked", err);
    }
    held.add(this.dir);
  }

  #busy(pid: number): PayiError {
    return new PayiError(
      `ingest.queue: the spool ${this.dir} is in use by ${pid === process.pid ? "another queue of this process (shut it down first)" : `process ${pid}`}. ` +
        `Use one spool directory per queue; if that process is gone, delete ${this.#lock}.`,
    );
  }

  #error(what: string, cause: unknown, consequence?: string): PayiError {
    const c = cause as { code?: string; message?: string };
    const err = new PayiError(
      // Stryker disable next-line OptionalChaining: the cause is always what node:fs threw
      `ingest.queue: the spool ${this.dir} ${what} (${c?.message ?? String(cause)})${consequence ? `; ${consequence}` : ""}.`,
    );
    Object.defineProperty(err, "cause", { value: cause, enumerable: false });
    return err;
  }

  /** Appends whole records or nothing: a failed or short write is cut back to where it began. */
  #write(file: string, text: string): void {
    const fs = this.#fs;
    const data = Buffer.from(this.#torn.has(file) ? `\n${text}` : text);
    const fd = fs.openSync(file, "a");
    try {
      const start = fs.fstatSync(fd).size;
      try {
        const written = fs.writeSync(fd, data);
        if (written !== data.length)
          throw Object.assign(new Error(`short write: ${written} of ${data.length} bytes (is the disk full?)`), {
            code: "ENOSPC",
          });
        if (this.#fsync) fs.fsyncSync(fd);
      } catch (err) {
        try {
          fs.ftruncateSync(fd, start);
        } catch {
          this.#torn.add(file);
        }
        throw err;
      }
      this.#torn.delete(file);
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // the write itself succeeded or already failed
      }
    }
  }

  #truncate(file: string): void {
    if (this.#fs.existsSync(file)) this.#fs.truncateSync(file, 0);
    this.#torn.delete(file);
  }

  /**
   * The JSON records of a file, one a line. A line that does not parse is a record torn by a
   * failed write, possibly run into by the next record (written by an earlier version, which
   * did not start afresh): that next record, from its `start` marker, is kept. A last line
   * without its newline is torn: the next write starts on a fresh line.
   */
  *#records(file: string, start: string): Generator<unknown> {
    let text: string;
    try {
      text = this.#fs.readFileSync(file, "utf8");
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return;
      throw this.#error("cannot be read", err);
    }
    if (text && !text.endsWith("\n")) this.#torn.add(file);
    for (const line of text.split("\n")) {
      // Stryker disable next-line ConditionalExpression: an empty line does not parse and holds no record start either
      if (!line) continue;
      for (let at = 0; at !== -1; at = line.indexOf(start, at + 1)) {
        const record = parse(at ? line.slice(at) : line);
        if (record === undefined) continue; // torn: try the next record start in this line
        yield record;
        break;
      }
    }
  }
}

// Stryker disable BlockStatement: an empty catch returns undefined as well
function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
// Stryker restore BlockStatement

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
