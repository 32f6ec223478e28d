/**
 * client.ingest.backfill(): sends a source of events (an iterable, an async iterable, or a
 * JSON Lines file) as bulk batches with bounded concurrency. Memory stays bounded: the source
 * is read only as fast as batches complete. Refused events go to a rejects file with the
 * reason; a checkpoint file records which source events are settled, so an interrupted
 * backfill resumes without resending what was accepted.
 */
import { appendText, checkFiles, fileLines, loadCheckpoint, replaceText } from "./files.js";
import type { BulkIngestRequest, IngestUnitsParams } from "../generated/api.js";
import type { AsyncClient } from "../runtime/async-client.js";
import { PayiError, PayiValidationError } from "../runtime/errors.js";
import { toBulkEvent } from "./event.js";
import { Settled } from "./checkpoint.js";
import { describe, sendBatch } from "./send-batch.js";

export interface BackfillOptions {
  /** Events per bulk request. Default 500. */
  batchSize?: number;
  /** Bulk requests in flight at once. Default 4. At most batchSize x concurrency source events are read ahead of what is settled. */
  concurrency?: number;
  /**
   * JSON Lines file that receives `{ index, line?, event, reason }` for each refused event
   * (appended to): `index` counts source events from 0 (blank lines are not events), `line`
   * is the 1-based line of a file source, `event` what was read (the text of a line that is not JSON).
   * This file, like a queue's dead-letter file, can be given to backfill as its source as it is.
   */
  rejects?: string;
  /**
   * File recording which source events are settled (accepted or written to rejects), rewritten
   * atomically as batches settle: `{"settled":N,"ahead":[[from,to],...]}`, N being how many
   * source events are settled in order and `ahead` the batches settled beyond. Read to resume.
   */
  checkpoint?: string;
  /** Called after each batch settles. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Stops reading the source; batches in flight finish and the checkpoint is written. */
  signal?: AbortSignal;
}

export interface BackfillProgress {
  /** Source events read so far (lines of a file, items of an iterable), skipped ones included. */
  read: number;
  /** Events put in bulk requests (settled or in flight). */
  sent: number;
  accepted: number;
  /** Refused by the service or failing validation (or not JSON): written to `rejects`. */
  rejected: number;
  /** Skipped because the checkpoint said an earlier run settled them. */
  skipped: number;
  /** Batches settled. */
  batches: number;
}

export interface BackfillSummary extends BackfillProgress {
  /** True when the signal stopped it before the source ended. */
  interrupted: boolean;
}

type Source = Iterable<IngestUnitsParams> | AsyncIterable<IngestUnitsParams> | string;

interface Item {
  index: number;
  /** 1-based line of a JSON Lines source. */
  line?: number;
  event?: BulkIngestRequest;
  raw: unknown;
  reason?: string;
}

export async function backfill(
  client: AsyncClient,
  source: Source,
  options: BackfillOptions = {},
): Promise<BackfillSummary> {
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 4;
  for (const [k, v] of Object.entries({ batchSize, concurrency })) {
    if (!Number.isInteger(v) || v < 1)
      throw new PayiError(`ingest.backfill: ${k} must be a positive integer, got ${String(v)}`);
  }
  const FILES = "ingest.backfill with files";
  if (typeof source === "string" || options.rejects || options.checkpoint) checkFiles(FILES);
  const settled = new Settled(
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: loadCheckpoint of no path gives the same
    options.checkpoint === undefined ? { settled: 0, ahead: [] } : loadCheckpoint(options.checkpoint, FILES),
  );
  const progress: BackfillProgress = { read: 0, sent: 0, accepted: 0, rejected: 0, skipped: 0, batches: 0 };

  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = (batch: Item[]) => {
    const p = (async () => {
      const valid = batch.filter((i) => i.event);
      progress.sent += valid.length;
      const out = valid.length
        ? await sendBatch(
            client,
            valid.map((i) => i.event!),
          )
        : { delivered: [], refused: [], failed: [], again: [] };
      const entry = (i: Item, reason: string | undefined) => ({
        index: i.index,
        ...(i.line ? { line: i.line } : {}),
        event: i.raw,
        reason,
      });
      const rejects = batch.filter((i) => i.reason).map((i) => entry(i, i.reason));
      for (const [k, r] of out.refused) rejects.push(entry(valid[k], describe(r)));
      progress.accepted += out.delivered.length;
      progress.rejected += rejects.length;
      // Rejects before the checkpoint: a crash in between repeats a reject line rather than losing it.
      if (options.rejects && rejects.length)
        appendText(options.rejects, rejects.map((r) => `${JSON.stringify(r)}\n`).join(""), FILES);
      progress.batches++;
      // What failed for the whole request (after the client's retries) is not settled: the run stops and a rerun sends it.
      const unsettled = new Set([...out.failed, ...out.again].flatMap((f) => f.at.map((k) => valid[k].index)));
      settled.add(batch.map((i) => i.index).filter((i) => !unsettled.has(i)));
      if (options.checkpoint) replaceText(options.checkpoint, settled.toJSON(), FILES);
      options.onProgress?.({ ...progress });
      const failed = out.failed[0] ?? out.again[0];
      if (failed) throw failed.error;
    })().catch((error) => {
      failure ??= { error };
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  let batch: Item[] = [];
  let index = 0;
  let interrupted = false;
  try {
    for await (const { value, line } of read(source)) {
      const i = index++;
      progress.read++;
      if (settled.has(i)) {
        progress.skipped++;
        continue;
      }
      if (options.signal?.aborted || failure) {
        interrupted = Boolean(options.signal?.aborted);
        progress.read--;
        break;
      }
      batch.push(await prepare(i, value, line));
      if (batch.length === batchSize) {
        send(batch);
        batch = [];
        // Backpressure: read on only when a request slot is free.
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    }
    if (batch.length && !interrupted && !failure) send(batch);
  } finally {
    // Whatever stopped the loop (the source throwing included), batches in flight settle and checkpoint first.
    while (inFlight.size) await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  return { ...progress, interrupted };
}

async function prepare(index: number, raw: unknown, line: number | undefined): Promise<Item> {
  raw = unwrap(raw);
  if (raw instanceof NotJson) return { index, line, raw: raw.text, reason: `not JSON: ${raw.message}` };
  try {
    // Stryker disable next-line StringLiteral: the reason is made of the issues, never of the error's message
    return { index, line, raw, event: await toBulkEvent(raw as IngestUnitsParams, `event ${index}`) };
  } catch (err) {
    // Stryker disable next-line ConditionalExpression: toBulkEvent throws nothing else
    if (err instanceof PayiValidationError)
      return { index, line, raw, reason: err.issues.map((i) => `${i.path || "(event)"}: ${i.message}`).join("; ") };
    throw err;
  }
}

/**
 * A line of a rejects or dead-letter file (`{ event, reason, ... }`) stands for its event,
 * so those files can be sent again as they are; an ingest event has no `event` or `reason` field.
 */
function unwrap(raw: unknown): unknown {
  if (!raw || typeof raw !== "object" || Array.isArray(raw) || !("event" in raw) || !("reason" in raw)) return raw;
  const event = (raw as { event: unknown }).event;
  if (typeof event !== "string") return event;
  // The text of a line that was not JSON.
  try {
    return JSON.parse(event);
  } catch (err) {
    return new NotJson(event, (err as Error).message);
  }
}

/** A line of a JSON Lines source that does not parse: refused with the reason, not fatal. */
class NotJson {
  constructor(
    readonly text: string,
    readonly message: string,
  ) {}
}

/** Events from any source; a JSON Lines file is read line by line (blank lines are not events). */
async function* read(source: Source): AsyncGenerator<{ value: unknown; line?: number }> {
  if (typeof source !== "string") {
    for await (const value of source as AsyncIterable<unknown>) yield { value };
    return;
  }
  for await (const { text, line } of fileLines(source)) {
    if (!text.trim()) continue;
    try {
      yield { value: JSON.parse(text), line };
    } catch (err) {
      yield { value: new NotJson(text, (err as Error).message), line };
    }
  }
}
