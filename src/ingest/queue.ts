/**
 * client.ingest.queue(): events accepted without waiting for the network, delivered in
 * ingest.bulk batches by size, by age and on demand. Every accepted event ends delivered,
 * reported failed (with the event, to the caller), or counted as dropped: never lost silently.
 */
import type { BulkIngestRequest, BulkIngestResponse, IngestUnitsParams } from "../generated/api.js";
import type { AsyncPayi } from "../runtime/async-client.js";
import { PayiError } from "../runtime/errors.js";
import { toBulkEvent } from "./event.js";
import { Spool } from "./spool.js";

export interface IngestQueueOptions {
  /** Send a batch as soon as this many events wait. Default 100. */
  flushAt?: number;
  /** Send what waits at the latest this many ms after it was accepted. Default 5 000. */
  flushInterval?: number;
  /** Most events held (waiting and in flight). Default 10 000. */
  maxQueueSize?: number;
  /** When full: refuse the new event with an error (default), or drop the newest or the oldest waiting one (counted). */
  overflow?: "throw" | "drop-newest" | "drop-oldest";
  /** Keep accepted events in this directory until delivered, so a later queue delivers what a crashed process left. */
  spool?: string;
  /** With `spool`: flush each append to disk (survives a machine crash; slower). Default false. */
  fsync?: boolean;
  /** A batch that failed after the client's retries, with its events, so you can keep them. */
  onError?: (error: Error, events: BulkIngestRequest[]) => void;
  /** An event the service refused in an otherwise accepted batch. */
  onEventError?: (error: { message: string; code?: string; statusCode?: number }, event: BulkIngestRequest) => void;
  /** An event dropped because the queue was full. */
  onDrop?: (event: BulkIngestRequest) => void;
}

export interface IngestQueueStats {
  /** Events enqueue() took (recovered from a spool included). */
  accepted: number;
  delivered: number;
  /** Refused by the service or in a batch that failed: each was reported to onEventError or onError. */
  failed: number;
  /** Waiting or in flight. */
  pending: number;
  /** Dropped because the queue was full. */
  dropped: number;
}

interface Entry {
  id: number;
  event: BulkIngestRequest;
}

export class IngestQueue {
  readonly #client: AsyncPayi;
  readonly #o: Required<Pick<IngestQueueOptions, "flushAt" | "flushInterval" | "maxQueueSize" | "overflow">> & IngestQueueOptions;
  readonly #spool: Spool<BulkIngestRequest> | undefined;
  #waiting: Entry[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #inFlightCount = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #closed = false;
  readonly #stats = { accepted: 0, delivered: 0, failed: 0, dropped: 0 };

  constructor(client: AsyncPayi, options: IngestQueueOptions = {}) {
    this.#client = client;
    this.#o = { flushAt: 100, flushInterval: 5_000, maxQueueSize: 10_000, overflow: "throw", ...options };
    for (const k of ["flushAt", "flushInterval", "maxQueueSize"] as const) {
      if (!Number.isInteger(this.#o[k]) || this.#o[k] < 1) throw new PayiError(`ingest.queue: ${k} must be a positive integer, got ${String(this.#o[k])}`);
    }
    if (this.#o.spool) {
      this.#spool = new Spool(this.#o.spool, { fsync: this.#o.fsync });
      for (const { id, event } of this.#spool.recover()) {
        this.#waiting.push({ id, event });
        this.#stats.accepted++;
      }
      if (this.#waiting.length) this.#schedule(0);
    }
  }

  /**
   * Accepts an event (the params of `ingest.units`): resolves once it is checked (and, with a
   * spool, written), never waiting for the network. Rejects with PayiValidationError for a bad
   * event, or PayiError when the queue is full and `overflow` is "throw" or it is shut down.
   */
  async enqueue(event: IngestUnitsParams): Promise<void> {
    if (this.#closed) throw new PayiError("ingest.queue: this queue is shut down.");
    const bulk = await toBulkEvent(event, "ingest.queue enqueue");
    if (this.#waiting.length + this.#inFlightCount >= this.#o.maxQueueSize) {
      if (this.#o.overflow === "throw") throw new PayiError(`ingest.queue is full (${this.#o.maxQueueSize} events); the event was not accepted.`);
      this.#stats.accepted++;
      this.#stats.dropped++;
      const oldest = this.#o.overflow === "drop-oldest" ? this.#waiting.shift() : undefined;
      if (oldest) this.#spool?.ack([oldest.id]);
      this.#report(() => this.#o.onDrop?.(oldest ? oldest.event : bulk));
      if (!oldest) return;
    } else {
      this.#stats.accepted++;
    }
    const id = this.#spool ? this.#spool.append(bulk) : this.#nextId++;
    this.#waiting.push({ id, event: bulk });
    if (this.#waiting.length >= this.#o.flushAt) this.#sendBatch();
    else this.#schedule(this.#o.flushInterval);
  }

  /** Resolves when every event accepted before the call is delivered or reported failed, batches in flight included. */
  async flush(): Promise<void> {
    this.#clearTimer();
    while (this.#waiting.length) this.#sendBatch();
    while (this.#inFlight.size) await Promise.all(this.#inFlight);
  }

  /** Stops taking events, flushes, and resolves when done or after `timeoutMs` (what is left stays counted as pending). */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const flushed = this.flush();
    if (options.timeoutMs === undefined) return flushed;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([flushed, new Promise<void>((r) => (timer = setTimeout(r, options.timeoutMs)))]);
    clearTimeout(timer);
  }

  stats(): IngestQueueStats {
    return { ...this.#stats, pending: this.#waiting.length + this.#inFlightCount };
  }

  #schedule(ms: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      while (this.#waiting.length) this.#sendBatch();
    }, ms);
    // A queue must never hold a process open.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sendBatch(): void {
    const batch = this.#waiting.splice(0, this.#o.flushAt);
    if (!batch.length) return;
    if (!this.#waiting.length) this.#clearTimer();
    this.#inFlightCount += batch.length;
    const p: Promise<void> = this.#deliver(batch).finally(() => {
      this.#inFlightCount -= batch.length;
      this.#inFlight.delete(p);
    });
    this.#inFlight.add(p);
  }

  async #deliver(batch: Entry[]): Promise<void> {
    const events = batch.map((e) => e.event);
    let answer: BulkIngestResponse;
    try {
      // The client retries connection errors, 408/409/429/5xx with backoff and Retry-After.
      answer = await this.#client.ingest.bulk({ events });
    } catch (err) {
      this.#stats.failed += batch.length;
      this.#ack(batch);
      this.#report(() => this.#o.onError?.(err as Error, events));
      return;
    }
    const refused = new Map<number, { message: string; code?: string; statusCode?: number }>();
    for (const e of answer.errors ?? []) {
      if (typeof e.item_index === "number" && e.item_index >= 0 && e.item_index < batch.length) {
        const r = e.xproxy_result;
        refused.set(e.item_index, { message: r?.message ?? "refused", code: r?.xproxy_error?.code ?? undefined, statusCode: r?.statusCode });
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
