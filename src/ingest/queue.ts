/**
 * client.ingest.queue(): events accepted without waiting for the network, delivered in
 * ingest.bulk batches by size, by age and on demand. Every accepted event ends delivered,
 * refused (reported, and with a spool written to its dead-letter file), reported failed,
 * counted as dropped, or (with a spool) still spooled for the next try: never lost silently.
 * Delivery is at least once: after a crash, the batches that were in flight are sent again.
 */
import type { BulkIngestRequest, IngestUnitsParams } from "../generated/api.js";
import type { AsyncClient } from "../runtime/async-client.js";
import { APIUserAbortError, PayiError, type APIError } from "../runtime/errors.js";
import type { Logger } from "../runtime/logger.js";
import { retryAfterMs } from "../runtime/retry.js";
import { toBulkEvent } from "./event.js";
import { holdAtExit, releaseAtExit } from "./exit-flush.js";
import { Spool } from "./files.js";
import { describe, sendBatch } from "./send-batch.js";

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
   * When full: refuse the new event with an error (default), wait for room, or drop the
   * newest or the oldest waiting one (an event already in flight is never dropped). Drops
   * are counted and reported to onDrop.
   */
  overflow?: "throw" | "wait" | "drop-newest" | "drop-oldest";
  /**
   * Keep accepted events in this directory until the service accepted or refused them, so a
   * later queue delivers what a crashed process or an outage left. Refused events are
   * written to `dead-letter.jsonl` in it, with the reason.
   */
  spool?: string;
  /** With `spool`: flush each append to disk (survives a machine crash; slower). Default false. */
  fsync?: boolean;
  /**
   * With `spool`: the wait before a batch that failed for a transient reason (connection,
   * timeout, 408, 429, 5xx) is sent again, once the client's own retries are spent. It
   * doubles with each failure in a row, up to maxRetryDelayMs. Default 1 000.
   */
  retryDelayMs?: number;
  /** The longest wait between tries, a server's Retry-After included. Default 60 000. */
  maxRetryDelayMs?: number;
  /**
   * A batch that failed, with its events (bulk form): without a spool, after the client's
   * retries; with one, only when it was refused as a whole (they are in the dead-letter file too).
   */
  onError?: (error: Error, events: BulkIngestRequest[]) => void;
  /** An event the service (or the bulk check before sending) refused while the rest of its batch went on. */
  onEventError?: (error: { message: string; code?: string; statusCode?: number }, event: BulkIngestRequest) => void;
  /** An event dropped because the queue was full. */
  onDrop?: (event: BulkIngestRequest) => void;
}

export interface IngestQueueStats {
  /** Events enqueue() took (recovered from a spool included): delivered + failed + dropped + pending. */
  accepted: number;
  delivered: number;
  /** Refused, or in a batch that failed: each was reported to onEventError or onError (or logged). */
  failed: number;
  /** Waiting, in flight, or spooled for the next try. */
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
  /** The flush round in which its last try ended (0: never). */
  tried: number;
}

export class IngestQueue {
  readonly #client: AsyncClient;
  readonly #log: Logger;
  readonly #options: Required<
    Pick<
      IngestQueueOptions,
      "flushAt" | "flushInterval" | "maxQueueSize" | "overflow" | "concurrency" | "retryDelayMs" | "maxRetryDelayMs"
    >
  > &
    IngestQueueOptions;
  readonly #spool: Spool<BulkIngestRequest> | undefined;
  #waiting: Entry[] = [];
  readonly #inFlight = new Map<Promise<void>, Entry[]>();
  #inFlightCount = 0;
  /** enqueue() calls still checking their event: flush() waits for them too. */
  readonly #checking = new Set<Promise<unknown>>();
  /** enqueue() calls waiting for room (overflow "wait"). */
  #roomWaiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  #seq = 0;
  /** Waiting events up to this seq go out now, whatever the batch size. */
  #due = 0;
  /** After a transient failure, nothing new goes out before this time (ms). */
  #pausedUntil = 0;
  #failuresInARow = 0;
  /** The latest flush() round and the events it covers: those not yet tried in it go out even during a pause. */
  #round = 0;
  #flushTarget = 0;
  #closed = false;
  /** Shut down and flushed: no batch starts any more. */
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #stats = { accepted: 0, delivered: 0, failed: 0, dropped: 0 };

  constructor(client: AsyncClient, options: IngestQueueOptions = {}, logger: Logger = console) {
    this.#client = client;
    this.#log = logger;
    // An option passed as undefined takes its default.
    const given = Object.fromEntries(
      Object.entries(options ?? {}).filter(([, v]) => v !== undefined),
    ) as IngestQueueOptions;
    this.#options = {
      flushAt: 100,
      flushInterval: 5_000,
      maxQueueSize: 10_000,
      overflow: "throw",
      concurrency: 4,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 60_000,
      ...given,
    };
    for (const k of [
      "flushAt",
      "flushInterval",
      "maxQueueSize",
      "concurrency",
      "retryDelayMs",
      "maxRetryDelayMs",
    ] as const) {
      if (!Number.isInteger(this.#options[k]) || this.#options[k] < 1)
        throw new PayiError(`ingest.queue: ${k} must be a positive integer, got ${String(this.#options[k])}`);
    }
    if (!["throw", "wait", "drop-newest", "drop-oldest"].includes(this.#options.overflow)) {
      throw new PayiError(
        `ingest.queue: overflow must be "throw", "wait", "drop-newest" or "drop-oldest", got ${String(this.#options.overflow)}`,
      );
    }
    if (this.#options.spool !== undefined) {
      if (typeof this.#options.spool !== "string" || !this.#options.spool)
        throw new PayiError(`ingest.queue: spool must be a directory path, got ${JSON.stringify(this.#options.spool)}`);
      this.#spool = new Spool(this.#options.spool, {
        fsync: this.#options.fsync,
        warn: (m) => this.#warn(m),
        retryMs: this.#options.retryDelayMs,
      });
      let recovered;
      try {
        recovered = this.#spool.recover();
      } catch (err) {
        this.#spool.close();
        throw err;
      }
      for (const { id, event } of recovered) {
        this.#waiting.push({ seq: ++this.#seq, id, event, tried: 0 });
        this.#stats.accepted++;
      }
      // What a previous process left is sent at once.
      this.#due = this.#seq;
      if (recovered.length) holdAtExit(this);
      this.#pump();
    }
  }

  /**
   * Accepts an event (the params of `ingest.units`): resolves once it is checked (and, with a
   * spool, written), never waiting for the network. Rejects with PayiValidationError for a bad
   * event, or PayiError when the spool cannot be written, when the queue is full and
   * `overflow` is "throw", or when it is shut down. flush() also waits for calls not awaited
   * yet, except those waiting for room (which the flush makes). A call made before shutdown()
   * is taken and flushed by it, unless it is still waiting for room then.
   */
  enqueue(event: IngestUnitsParams): Promise<void> {
    if (this.#closed) return Promise.reject(new PayiError("ingest.queue: this queue is shut down."));
    // Tracked apart from the returned promise, so that a refusal nobody awaits still surfaces as an unhandled rejection.
    let settled!: () => void;
    const tracked = new Promise<void>((r) => (settled = r));
    this.#checking.add(tracked);
    const untrack = () => {
      this.#checking.delete(tracked);
      settled();
    };
    return (async () => {
      let waitedForRoom = false;
      try {
        const bulk = await toBulkEvent(event, "ingest.queue enqueue");
        // Batches are due but every request slot is taken: let the event loop run, so that a
        // producer awaiting enqueue() in a loop does not starve the requests it waits on.
        if (this.#waiting.length >= this.#options.flushAt && this.#inFlight.size >= this.#options.concurrency)
          await nextTurn();
        while (this.#options.overflow === "wait" && this.#full() && !this.#closed) {
          // The room comes from what a flush() sends: it must not wait for this call.
          untrack();
          waitedForRoom = true;
          await new Promise<void>((r) => {
            this.#roomWaiters.push(r);
            this.#holdOpen();
          });
        }
        // Past a shutdown deadline nothing is sent any more: an event taken now would only wait in memory.
        if (this.#closed && (waitedForRoom || this.#abort.signal.aborted))
          throw new PayiError("ingest.queue: this queue is shut down.");
        this.#accept(bulk);
      } finally {
        untrack();
      }
    })();
  }

  /**
   * Resolves when every event accepted before the call is delivered, refused or reported
   * failed, or (with a spool) was tried and stays spooled for the next try.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.#checking]);
    const target = this.#seq;
    const round = ++this.#round;
    this.#flushTarget = Math.max(this.#flushTarget, target);
    this.#due = Math.max(this.#due, target);
    this.#pump();
    const open = (e: Entry) => e.seq <= target && e.tried < round;
    while (!this.#abort.signal.aborted) {
      const inFlight = [...this.#inFlight].filter(([, batch]) => batch.some(open)).map(([p]) => p);
      if (inFlight.length) await Promise.race(inFlight);
      else if (this.#waiting.some(open) && this.#inFlight.size) await Promise.race(this.#inFlight.keys());
      else break;
    }
  }

  /**
   * Stops taking events, flushes, and resolves when done or after `timeoutMs`: then the
   * requests in flight are stopped, what they carried stays pending (in the spool, if any,
   * or reported to onError), and nothing is left holding the process. The spool is given up.
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs >= 0)))
      throw new PayiError(`ingest.queue shutdown: timeoutMs must be a number of ms, got ${String(timeoutMs)}`);
    this.#closed = true;
    for (const wake of this.#roomWaiters.splice(0)) wake();
    const settled = (async () => {
      await this.flush();
      // Nothing new goes out; what is in flight (a retry the flush did not wait for, or a batch
      // stopped at the deadline) settles, its acknowledgement written, before the spool is given up.
      this.#stopped = true;
      while (this.#inFlight.size) await Promise.all([...this.#inFlight.keys()]);
    })();
    if (timeoutMs !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
      await Promise.race([settled, deadline.then(() => this.#abort.abort())]);
      clearTimeout(timer);
    }
    await settled;
    this.#clearTimer();
    releaseAtExit(this);
    this.#spool?.close();
  }

  stats(): IngestQueueStats {
    return { ...this.#stats, pending: this.#waiting.length + this.#inFlightCount };
  }

  #full(): boolean {
    return this.#waiting.length + this.#inFlightCount >= this.#options.maxQueueSize;
  }

  #accept(bulk: BulkIngestRequest): void {
    let dropOldest = false;
    if (this.#full()) {
      if (
        this.#options.overflow === "throw" ||
        // Stryker disable next-line ConditionalExpression,StringLiteral: with "wait", enqueue() waits for room, so a full queue never gets here
        this.#options.overflow === "wait"
      )
        throw new PayiError(`ingest.queue is full (${this.#options.maxQueueSize} events); the event was not accepted.`);
      // Nothing waiting (all in flight): the new event is the one dropped.
      if (this.#options.overflow === "drop-newest" || !this.#waiting.length) {
        this.#stats.accepted++;
        this.#stats.dropped++;
        this.#report(() => this.#options.onDrop?.(bulk));
        return;
      }
      dropOldest = true;
    }
    // Written first: an event the spool could not take is not accepted, and nothing is dropped for it.
    const id = this.#spool ? this.#spool.append(bulk) : 0;
    this.#stats.accepted++;
    if (dropOldest) {
      const oldest = this.#waiting.shift()!;
      this.#stats.dropped++;
      this.#spool?.ack([oldest.id]);
      this.#report(() => this.#options.onDrop?.(oldest.event));
    }
    this.#waiting.push({ seq: ++this.#seq, id, event: bulk, tried: 0 });
    holdAtExit(this);
    this.#pump();
  }

  /** Sends what may go now: full batches, and due ones, while a request slot is free and no retry wait is on. */
  #pump(): void {
    if (this.#abort.signal.aborted || this.#stopped) return this.#clearTimer();
    const now = Date.now();
    while (this.#waiting.length && this.#inFlight.size < this.#options.concurrency) {
      let batch: Entry[];
      if (now >= this.#pausedUntil) {
        if (this.#waiting.length < this.#options.flushAt && this.#waiting[0].seq > this.#due) break;
        batch = this.#waiting.splice(0, this.#options.flushAt);
      } else {
        // During a retry wait, only what a flush() asked for and has not tried yet.
        batch = this.#take((e) => e.seq <= this.#flushTarget && e.tried < this.#round);
        if (!batch.length) break;
      }
      this.#sendBatch(batch);
    }
    if (!this.#waiting.length) return this.#clearTimer();
    // One timer: the end of a retry wait, else the age of the oldest waiting event (set once, not pushed back by new events).
    const at =
      this.#pausedUntil > now ? this.#pausedUntil : this.#timer ? this.#timerAt : now + this.#options.flushInterval;
    // Stryker disable next-line ConditionalExpression: a timer set again for the same time fires at that time all the same
    if (this.#timer && at === this.#timerAt) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#due = Math.max(this.#due, this.#seq);
      this.#pump();
    }, at - now);
    this.#holdOpen();
  }

  /** A queue holds a process open only while enqueue() calls wait for room; else its timer is let go. */
  #holdOpen(): void {
    const t = this.#timer as { ref?: () => void; unref?: () => void } | undefined;
    if (this.#roomWaiters.length) t?.ref?.();
    else t?.unref?.();
  }

  /** Takes up to flushAt waiting entries that match, keeping the others in order. */
  #take(match: (e: Entry) => boolean): Entry[] {
    const taken: Entry[] = [];
    this.#waiting = this.#waiting.filter((e) =>
      taken.length < this.#options.flushAt && match(e) ? (taken.push(e), false) : true,
    );
    return taken;
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sendBatch(batch: Entry[]): void {
    this.#inFlightCount += batch.length;
    // Stryker disable next-line all: never met (settling a batch calls callbacks and the logger through #report), kept so that a bug would not lose events
    const settled = this.#deliver(batch).catch((err) => this.#putBack(batch, err));
    const p: Promise<void> = settled.finally(() => {
      this.#inFlightCount -= batch.length;
      this.#inFlight.delete(p);
      this.#pump();
      this.#wakeProducers();
      if (!this.#waiting.length && !this.#inFlightCount) releaseAtExit(this);
    });
    this.#inFlight.set(p, batch);
  }

  // Stryker disable all: as above, never met
  /** Settling a batch does not throw; if it ever does, its events stay pending rather than vanish. */
  #putBack(batch: Entry[], err: unknown): void {
    this.#report(() => this.#log.error(`ingest.queue: ${String(err)}`));
    this.#requeue(batch);
  }
  // Stryker restore all

  async #deliver(batch: Entry[]): Promise<void> {
    const events = batch.map((e) => e.event);
    const out = await sendBatch(this.#client, events, this.#abort.signal);
    const spool = this.#spool;
    const entries = (at: number[]) => at.map((i) => batch[i]);
    this.#stats.delivered += out.delivered.length;
    if (out.delivered.length) this.#failuresInARow = 0;
    const settled = entries(out.delivered);

    // Refused for good: to the dead-letter file (left in the spool if it cannot be written) and reported.
    const refused = [
      ...out.refused.map(([i, r]) => ({ i, reason: describe(r) })),
      ...out.failed.flatMap((f) => f.at.map((i) => ({ i, reason: f.error.message }))),
    ];
    this.#stats.failed += refused.length;
    if (!spool || spool.deadLetter(refused.map(({ i, reason }) => ({ event: events[i], reason }))))
      settled.push(...refused.map(({ i }) => batch[i]));
    for (const [i, r] of out.refused) this.#report(() => this.#options.onEventError?.(r, events[i]));
    if (out.refused.length && !this.#options.onEventError) {
      this.#warn(
        `ingest.queue: ${out.refused.length} event(s) refused (${describe(out.refused[0][1])}); ${spool ? `see ${spool.deadLetterFile}` : "no onEventError is set: they are lost"}.`,
      );
    }
    for (const f of out.failed) this.#failed(f.error, entries(f.at), spool ? `see ${spool.deadLetterFile}` : "");

    // Not settled: with a spool they stay for the next try; without one this was the last.
    for (const a of out.again) {
      if (spool) {
        this.#requeue(entries(a.at));
        if (!(a.error instanceof APIUserAbortError)) this.#backOff(a.error);
      } else {
        this.#stats.failed += a.at.length;
        this.#failed(a.error, entries(a.at), "");
      }
    }
    spool?.ack(settled.map((e) => e.id));
  }

  #failed(error: Error, entries: Entry[], where: string): void {
    const events = entries.map((e) => e.event);
    if (this.#options.onError) this.#report(() => this.#options.onError!(error, events));
    else
      this.#warn(
        `ingest.queue: a batch of ${events.length} event(s) failed (${error.message}); ${where || "no onError is set: they are lost"}.`,
      );
  }

  /** Puts entries back among the waiting ones, in order of acceptance. */
  #requeue(entries: Entry[]): void {
    for (const e of entries) e.tried = this.#round;
    // They go again as soon as the retry wait is over, whatever the batch size.
    this.#due = Math.max(this.#due, ...entries.map((e) => e.seq));
    this.#waiting = [...entries, ...this.#waiting].sort((a, b) => a.seq - b.seq);
  }

  /** The wait before the next try after a transient failure: the server's Retry-After, else a growing delay, bounded. */
  #backOff(error: Error): void {
    const asked = retryAfterMs((error as APIError).headers) ?? -1;
    const grown = this.#options.retryDelayMs * 2 ** Math.min(this.#failuresInARow++, 30) * (1 - 0.25 * Math.random());
    // None asked, or a negative wait: the growing delay.
    const wait = Math.min(asked >= 0 ? asked : grown, this.#options.maxRetryDelayMs);
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
    if (this.#failuresInARow === 1)
      this.#warn(`ingest.queue: delivery failed (${error.message}); the events stay in the spool and are tried again.`);
  }

  #wakeProducers(): void {
    while (this.#roomWaiters.length && !this.#full()) this.#roomWaiters.shift()!();
    this.#holdOpen();
  }

  /** The logger is called as a callback is: one that throws must not break delivery either. */
  #warn(message: string): void {
    this.#report(() => this.#log.warn(message));
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

/** Resolves after pending I/O had its turn (a macrotask, not a microtask). */
function nextTurn(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((r) => (g.setImmediate ? g.setImmediate(r) : setTimeout(r, 0)));
}
