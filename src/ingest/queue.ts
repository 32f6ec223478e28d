/**
 * client.ingest.queue(): events accepted without waiting for the network, delivered in
 * ingest.bulk batches by size, by age and on demand. Every accepted event ends delivered,
 * reported failed (with the event, to the caller), or counted as dropped: never lost silently.
 */
import type { BulkIngestRequest, BulkIngestResponse, IngestUnitsParams } from "../generated/api.js";
import type { AsyncPayi } from "../runtime/async-client.js";
import { PayiError } from "../runtime/errors.js";
import { toBulkEvent } from "./event.js";
import { Spool } from "./files.js";

export interface IngestQueueOptions {
  /** Send a batch as soon as this many events wait; also the most events in one request. Default 100. */
  flushAt?: number;
  /** Send what waits at the latest this many ms after it was accepted. Default 5 000. */
  flushInterval?: number;
  /** Bulk requests in flight at once; more batches wait their turn. Default 4. */
  concurrency?: number;
  /** Most events held (waiting and in flight). Default 10 000. */
  maxQueueSize?: number;
  /**
   * When full: refuse the new event with an error (default), or drop the newest or the oldest
   * waiting one (an event already in flight is never dropped). Drops are counted and reported to onDrop.
   */
  overflow?: "throw" | "drop-newest" | "drop-oldest";
  /** Keep accepted events in this directory until settled, so a later queue delivers what a crashed process left. */
  spool?: string;
  /** With `spool`: flush each append to disk (survives a machine crash; slower). Default false. */
  fsync?: boolean;
  /** A batch that failed after the client's retries, with its events (bulk form), so you can keep them. */
  onError?: (error: Error, events: BulkIngestRequest[]) => void;
  /** An event the service refused in an otherwise accepted batch. */
  onEventError?: (error: { message: string; code?: string; statusCode?: number }, event: BulkIngestRequest) => void;
  /** An event dropped because the queue was full. */
  onDrop?: (event: BulkIngestRequest) => void;
}

export interface IngestQueueStats {
  /** Events enqueue() took (recovered from a spool included): delivered + failed + dropped + pending. */
  accepted: number;
  delivered: number;
  /** Refused by the service or in a batch that failed: each was reported to onEventError or onError. */
  failed: number;
  /** Waiting or in flight. */
  pending: number;
  /** Dropped because the queue was full, each reported to onDrop. */
  dropped: number;
}

interface Entry {
  /** Order of acceptance, for flush(). */
  seq: number;
  /** Spool id, when spooled. */
  id: number;
  event: BulkIngestRequest;
}

export class IngestQueue {
  readonly #client: AsyncPayi;
  readonly #o: Required<Pick<IngestQueueOptions, "flushAt" | "flushInterval" | "maxQueueSize" | "overflow" | "concurrency">> & IngestQueueOptions;
  readonly #spool: Spool<BulkIngestRequest> | undefined;
  #waiting: Entry[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #inFlightCount = 0;
  /** enqueue() calls still checking their event: flush() waits for them too. */
  readonly #checking = new Set<Promise<unknown>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;
  /** Waiting events up to this seq go out now, whatever the batch size. */
  #due = 0;
  #closed = false;
  readonly #stats = { accepted: 0, delivered: 0, failed: 0, dropped: 0 };

  constructor(client: AsyncPayi, options: IngestQueueOptions = {}) {
    this.#client = client;
    this.#o = { flushAt: 100, flushInterval: 5_000, maxQueueSize: 10_000, overflow: "throw", concurrency: 4, ...options };
    for (const k of ["flushAt", "flushInterval", "maxQueueSize", "concurrency"] as const) {
      if (!Number.isInteger(this.#o[k]) || this.#o[k] < 1) throw new PayiError(`ingest.queue: ${k} must be a positive integer, got ${String(this.#o[k])}`);
    }
    if (!["throw", "drop-newest", "drop-oldest"].includes(this.#o.overflow)) throw new PayiError(`ingest.queue: overflow must be "throw", "drop-newest" or "drop-oldest", got ${String(this.#o.overflow)}`);
    if (this.#o.spool) {
      this.#spool = new Spool(this.#o.spool, { fsync: this.#o.fsync });
      for (const { id, event } of this.#spool.recover()) {
        this.#waiting.push({ seq: ++this.#seq, id, event });
        this.#stats.accepted++;
      }
      // What a previous process left is sent at once.
      this.#due = this.#seq;
      this.#pump();
    }
  }

  /**
   * Accepts an event (the params of `ingest.units`): resolves once it is checked (and, with a
   * spool, written), never waiting for the network. Rejects with PayiValidationError for a bad
   * event, or PayiError when the queue is full and `overflow` is "throw" or it is shut down.
   * flush() also waits for calls not awaited yet.
   */
  enqueue(event: IngestUnitsParams): Promise<void> {
    if (this.#closed) return Promise.reject(new PayiError("ingest.queue: this queue is shut down."));
    // Tracked apart from the returned promise, so that a refusal nobody awaits still surfaces as an unhandled rejection.
    let settled!: () => void;
    const tracked = new Promise<void>((r) => (settled = r));
    this.#checking.add(tracked);
    return (async () => {
      try {
        this.#accept(await toBulkEvent(event, "ingest.queue enqueue"));
      } finally {
        this.#checking.delete(tracked);
        settled();
      }
    })();
  }

  /** Resolves when every event accepted before the call is delivered or reported failed, batches in flight included. */
  async flush(): Promise<void> {
    await Promise.all([...this.#checking]);
    const target = this.#seq;
    this.#due = Math.max(this.#due, target);
    this.#pump();
    // Batches leave in order, so once no waiting event is older than the target, the rest are in flight now.
    while (this.#waiting.length && this.#waiting[0].seq <= target && this.#inFlight.size) await Promise.race(this.#inFlight);
    await Promise.all([...this.#inFlight]);
  }

  /**
   * Stops taking events, flushes, and resolves when done or after `timeoutMs` (what is left
   * stays counted as pending, and in the spool, if any). The spool is given up once flushed.
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const flushed = this.flush().finally(() => {
      this.#clearTimer();
      this.#spool?.close();
    });
    if (options.timeoutMs === undefined) return flushed;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([flushed, new Promise<void>((r) => (timer = setTimeout(r, options.timeoutMs)))]);
    clearTimeout(timer);
  }

  stats(): IngestQueueStats {
    return { ...this.#stats, pending: this.#waiting.length + this.#inFlightCount };
  }

  #accept(bulk: BulkIngestRequest): void {
    if (this.#waiting.length + this.#inFlightCount >= this.#o.maxQueueSize) {
      if (this.#o.overflow === "throw") throw new PayiError(`ingest.queue is full (${this.#o.maxQueueSize} events); the event was not accepted.`);
      this.#stats.accepted++;
      this.#stats.dropped++;
      const oldest = this.#o.overflow === "drop-oldest" ? this.#waiting.shift() : undefined;
      if (oldest) this.#spool?.ack([oldest.id]);
      this.#report(() => this.#o.onDrop?.(oldest ? oldest.event : bulk));
      // Nothing waiting (all in flight): the new event is the one dropped.
      if (!oldest) return;
    } else {
      this.#stats.accepted++;
    }
    const id = this.#spool ? this.#spool.append(bulk) : 0;
    this.#waiting.push({ seq: ++this.#seq, id, event: bulk });
    this.#pump();
  }

  /** Sends what may go now: full batches, and due ones, while a request slot is free. */
  #pump(): void {
    while (this.#waiting.length && this.#inFlight.size < this.#o.concurrency && (this.#waiting.length >= this.#o.flushAt || this.#waiting[0].seq <= this.#due)) {
      this.#sendBatch();
    }
    if (!this.#waiting.length) this.#clearTimer();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#due = Math.max(this.#due, this.#seq);
        this.#pump();
      }, this.#o.flushInterval);
      // A queue must never hold a process open.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sendBatch(): void {
    const batch = this.#waiting.splice(0, this.#o.flushAt);
    this.#inFlightCount += batch.length;
    const p: Promise<void> = this.#deliver(batch).finally(() => {
      this.#inFlightCount -= batch.length;
      this.#inFlight.delete(p);
      this.#pump();
    });
    this.#inFlight.add(p);
  }

  async #deliver(batch: Entry[]): Promise<void> {
    const events = batch.map((e) => e.event);
    let answer: BulkIngestResponse;
    try {
      // The client retries connection errors, timeouts, 408/409/429/5xx with backoff and Retry-After.
      answer = await this.#client.ingest.bulk({ events });
    } catch (err) {
      this.#stats.failed += batch.length;
      this.#ack(batch);
      this.#report(() => this.#o.onError?.(err as Error, events));
      return;
    }
    const refused = new Map<number, { message: string; code?: string; statusCode?: number }>();
    for (const e of answer?.errors ?? []) {
      if (Number.isInteger(e?.item_index) && e.item_index! >= 0 && e.item_index! < batch.length) {
        const r = e.xproxy_result;
        refused.set(e.item_index!, { message: r?.message ?? "refused", code: r?.xproxy_error?.code ?? undefined, statusCode: r?.statusCode ?? undefined });
      }
    }
    this.#stats.failed += refused.size;
    this.#stats.delivered += batch.length - refused.size;
    this.#ack(batch);
    for (const [i, error] of refused) this.#report(() => this.#o.onEventError?.(error, events[i]));
  }

  #ack(batch: Entry[]): void {
    this.#spool?.ack(batch.map((e) => e.id));
  }

  /** A callback that throws must not break delivery of the rest. */
  #report(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
