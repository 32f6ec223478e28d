/**
 * Which source events of a backfill are settled: a prefix count plus the ranges settled
 * beyond it. Batches complete out of order; keeping those ranges (not only the in-order
 * count) is what lets a run that stopped on a failed batch resume without resending the
 * batches after it that were accepted.
 */
import { PayiError } from "../runtime/errors.js";

export interface CheckpointData {
  /** Source events 0..settled-1 are settled. */
  settled: number;
  /** Half-open [from, to) ranges settled beyond that (written sorted and disjoint; read in any order). */
  ahead: [number, number][];
}

/** Parses a checkpoint file; a bare integer (a hand-written "start from event N") is accepted too. */
export function readCheckpoint(text: string, file: string): CheckpointData {
  const t = text.trim();
  if (!t) return { settled: 0, ahead: [] };
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    // Not JSON: data stays undefined, refused below.
  }
  if (typeof data === "number") data = { settled: data, ahead: [] };
  const d = data as Partial<CheckpointData> | undefined;
  const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (
    !d ||
    !count(d.settled) ||
    !Array.isArray(d.ahead) ||
    !d.ahead.every((r) => Array.isArray(r) && count(r[0]) && count(r[1]) && r[0] < r[1])
  ) {
    throw new PayiError(`ingest.backfill: the checkpoint ${file} is not one this SDK wrote; delete it to start over.`);
  }
  return {
    settled: d.settled!,
    ahead: d.ahead.map(([a, b]) => [a, b] as [number, number]),
  };
}

export class Settled {
  #prefix: number;
  #ahead: [number, number][] = [];

  constructor(data: CheckpointData) {
    this.#prefix = data.settled;
    for (const r of data.ahead) this.#insert(r[0], r[1]);
  }

  has(i: number): boolean {
    return i < this.#prefix || this.#ahead.some(([a, b]) => i >= a && i < b);
  }

  /** Marks source indices settled. */
  add(indices: number[]): void {
    for (const i of indices) this.#insert(i, i + 1);
  }

  toJSON(): string {
    return JSON.stringify({ settled: this.#prefix, ahead: this.#ahead });
  }

  #insert(from: number, to: number): void {
    const all = [...this.#ahead, [from, to] as [number, number]].sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    let prefix = this.#prefix;
    for (const [a, b] of all) {
      if (a <= prefix) prefix = Math.max(prefix, b);
      else if (merged.length && a <= merged[merged.length - 1][1])
        merged[merged.length - 1][1] = Math.max(merged[merged.length - 1][1], b);
      else merged.push([a, b]);
    }
    this.#prefix = prefix;
    this.#ahead = merged;
  }
}
