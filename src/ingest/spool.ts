/**
 * The queue's durability: accepted events are appended to `events.jsonl` in the spool
 * directory before `enqueue` returns, and their ids to `acks.jsonl` once delivered or
 * reported; a new queue on the directory resumes what is not acknowledged.
 *
 * Appends are synchronous writes: they survive the process dying at any point (the data is
 * in the OS). With `fsync: true` each append is also flushed to disk, to survive a machine
 * crash, at the cost of a disk round trip per event. One queue per directory at a time.
 */
import { node } from "./node.js";

type Fs = typeof import("node:fs");

export interface SpooledEvent<T> {
  id: number;
  event: T;
}

export class Spool<T> {
  readonly #events: string;
  readonly #acks: string;
  readonly #fsync: boolean;
  readonly #fs: Fs;
  #nextId = 1;
  #unacked = 0;

  constructor(directory: string, options: { fsync?: boolean } = {}) {
    this.#fs = node<Fs>("node:fs", "ingest.queue's spool");
    const { join } = node<typeof import("node:path")>("node:path", "ingest.queue's spool");
    this.#fs.mkdirSync(directory, { recursive: true });
    this.#events = join(directory, "events.jsonl");
    this.#acks = join(directory, "acks.jsonl");
    this.#fsync = options.fsync ?? false;
  }

  /** The events a previous process accepted and nobody acknowledged, in order. */
  recover(): SpooledEvent<T>[] {
    const acked = new Set(this.#lines(this.#acks).map(Number));
    const pending: SpooledEvent<T>[] = [];
    for (const line of this.#lines(this.#events)) {
      let entry: SpooledEvent<T>;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // a line cut short by a crash mid-write was never accepted
      }
      this.#nextId = Math.max(this.#nextId, entry.id + 1);
      if (!acked.has(entry.id)) pending.push(entry);
    }
    this.#unacked = pending.length;
    if (!pending.length) this.#truncate();
    return pending;
  }

  append(event: T): number {
    const id = this.#nextId++;
    this.#write(this.#events, `${JSON.stringify({ id, event })}\n`);
    this.#unacked++;
    return id;
  }

  ack(ids: number[]): void {
    if (!ids.length) return;
    this.#write(this.#acks, `${ids.join("\n")}\n`);
    this.#unacked -= ids.length;
    // Once everything is acknowledged, both files start over instead of growing forever.
    if (this.#unacked <= 0) this.#truncate();
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

  #truncate(): void {
    this.#fs.writeFileSync(this.#events, "");
    this.#fs.writeFileSync(this.#acks, "");
    this.#unacked = 0;
  }

  #lines(file: string): string[] {
    return this.#fs.existsSync(file) ? this.#fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  }
}
