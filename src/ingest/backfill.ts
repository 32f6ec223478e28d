/**
 * client.ingest.backfill(): sends a source of events (an iterable, an async iterable, or a
 * JSON Lines file) as bulk batches with bounded concurrency. Memory stays bounded: the source
 * is read only as fast as batches complete. Refused events go to a rejects file with the
 * reason; a checkpoint file records how many source events are settled, in order, so an
 * interrupted backfill resumes without resending what was accepted.
 */
import { node } from "./node.js";
import type { BulkIngestRequest, IngestUnitsParams } from "../generated/api.js";
import type { AsyncPayi } from "../runtime/async-client.js";
import { PayiError, PayiValidationError } from "../runtime/errors.js";
import { toBulkEvent } from "./event.js";

export interface BackfillOptions {
  /** Events per bulk request. Default 500. */
  batchSize?: number;
  /** Bulk requests in flight at once. Default 4. */
  concurrency?: number;
  /** JSON Lines file that receives `{ index, event, reason }` for each refused event. */
  rejects?: string;
  /** File holding how many source events are settled; read to resume, written as batches settle. */
  checkpoint?: string;
  /** Called after each batch settles. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Stops reading the source; batches in flight finish and the checkpoint is written. */
  signal?: AbortSignal;
}

export interface BackfillProgress {
  /** Source events read (lines of a file, items of an iterable), skipped ones included. */
  read: number;
  accepted: number;
  rejected: number;
  /** Skipped because a checkpoint said they were settled by an earlier run. */
  skipped: number;
  batches: number;
}

export interface BackfillSummary extends BackfillProgress {
  /** True when the signal stopped it before the source ended. */
  interrupted: boolean;
}

type Source = Iterable<IngestUnitsParams> | AsyncIterable<IngestUnitsParams> | string;

interface Item {
  index: number;
  event?: BulkIngestRequest;
  raw: unknown;
  reason?: string;
}

export async function backfill(client: AsyncPayi, source: Source, options: BackfillOptions = {}): Promise<BackfillSummary> {
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 4;
  for (const [k, v] of Object.entries({ batchSize, concurrency })) {
    if (!Number.isInteger(v) || v < 1) throw new PayiError(`ingest.backfill: ${k} must be a positive integer, got ${String(v)}`);
  }
  const needsFiles = typeof source === "string" || options.rejects || options.checkpoint;
  const fs = needsFiles ? node<typeof import("node:fs")>("node:fs", "ingest.backfill with files") : undefined;
  const start = options.checkpoint && fs!.existsSync(options.checkpoint) ? Number(fs!.readFileSync(options.checkpoint, "utf8").trim() || 0) : 0;
  const progress: BackfillProgress = { read: 0, accepted: 0, rejected: 0, skipped: 0, batches: 0 };
  const reject = (item: Item, reason: string) => {
    progress.rejected++;
    if (options.rejects) fs!.appendFileSync(options.rejects, `${JSON.stringify({ index: item.index, event: item.raw, reason })}\n`);
  };

  // Which source ranges are settled, so the checkpoint only moves over a contiguous prefix.
  let settledUpTo = start;
  const done = new Map<number, number>(); // range start -> range end
  const settle = (from: number, to: number) => {
    done.set(from, to);
    while (done.has(settledUpTo)) {
      const next = done.get(settledUpTo)!;
      done.delete(settledUpTo);
      settledUpTo = next;
    }
    if (options.checkpoint) {
      fs!.writeFileSync(`${options.checkpoint}.tmp`, String(settledUpTo));
      fs!.renameSync(`${options.checkpoint}.tmp`, options.checkpoint);
    }
  };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const send = (batch: Item[], from: number, to: number) => {
    const p = (async () => {
      const valid = batch.filter((i) => i.event);
      for (const i of batch) if (i.reason) reject(i, i.reason);
      if (valid.length) {
        const answer = await client.ingest.bulk({ events: valid.map((i) => i.event!) });
        const refused = new Map<number, string>();
        for (const e of answer.errors ?? []) {
          if (typeof e.item_index === "number") {
            const r = e.xproxy_result;
            refused.set(e.item_index, [r?.statusCode, r?.xproxy_error?.code, r?.message].filter((x) => x !== undefined && x !== null).join(" "));
          }
        }
        valid.forEach((item, k) => (refused.has(k) ? reject(item, refused.get(k) || "refused") : progress.accepted++));
      }
      progress.batches++;
      settle(from, to);
      options.onProgress?.({ ...progress });
    })().catch((err) => {
      failure ??= err;
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  let batch: Item[] = [];
  let batchStart = start;
  let index = 0;
  let interrupted = false;
  for await (const raw of read(source)) {
    const i = index++;
    progress.read++;
    if (i < start) {
      progress.skipped++;
      continue;
    }
    if (options.signal?.aborted || failure) {
      interrupted = Boolean(options.signal?.aborted);
      progress.read--;
      break;
    }
    batch.push(await prepare(i, raw));
    if (batch.length === batchSize) {
      send(batch, batchStart, i + 1);
      batch = [];
      batchStart = i + 1;
      // Backpressure: read on only when a batch slot is free.
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  }
  if (batch.length && !interrupted && !failure) send(batch, batchStart, batchStart + batch.length);
  while (inFlight.size) await Promise.all(inFlight);
  if (failure) throw failure;
  return { ...progress, interrupted };
}

async function prepare(index: number, raw: unknown): Promise<Item> {
  if (raw instanceof SyntaxError) return { index, raw: raw.message, reason: `not JSON: ${raw.message}` };
  try {
    return { index, raw, event: await toBulkEvent(raw as IngestUnitsParams, `event ${index}`) };
  } catch (err) {
    if (err instanceof PayiValidationError) return { index, raw, reason: err.issues.map((i) => `${i.path}: ${i.message}`).join("; ") };
    throw err;
  }
}

/** Events from any source; a JSON Lines file is read line by line, a bad line yields its SyntaxError. */
async function* read(source: Source): AsyncGenerator<unknown> {
  if (typeof source !== "string") {
    yield* source as AsyncIterable<unknown>;
    return;
  }
  const { createReadStream } = node<typeof import("node:fs")>("node:fs", "ingest.backfill from a file");
  const { createInterface } = node<typeof import("node:readline")>("node:readline", "ingest.backfill from a file");
  const lines = createInterface({ input: createReadStream(source), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line);
    } catch (err) {
      yield new SyntaxError(`line: ${line.slice(0, 80)}`);
    }
  }
}
