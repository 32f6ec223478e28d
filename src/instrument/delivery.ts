/**
 * Where events go, off the provider call's path. In "ingest" mode (the default) an event is
 * handed to an ingest queue (the user's, or one this instrumentor owns) and sent in bulk
 * batches; in "direct" mode each event is its own `ingest.units` call, started without being
 * awaited, so its `xproxy_result` (cost, limit state) can be had by the answer's id. Either
 * way a Pay-i that is slow, down or refusing shows up in `onError`, never in the caller's call.
 */
import type { IngestUnitsParams, XproxyResult } from "../generated/api.js";
import type { IngestQueue, IngestQueueOptions } from "../ingest/queue.js";
import { toUnitsEvent } from "../ingest/event.js";
import { trusted } from "../runtime/validate.js";
import { describe } from "../ingest/send-batch.js";
import type { AsyncPayi } from "../client.js";
import { PayiError } from "../runtime/errors.js";

export type DeliveryMode = "ingest" | "direct";

export interface DeliveryOptions {
  mode: DeliveryMode;
  /** An ingest queue of yours (kept open at shutdown), or options for the one the instrumentor makes. */
  queue?: IngestQueue | IngestQueueOptions;
  /** Direct mode: how many answers' results are kept for `result()`. */
  keepResults: number;
  onError: (error: Error, event?: IngestUnitsParams) => void;
}

type Settled = { ok: true; value: XproxyResult } | { ok: false; error: Error };

const isQueue = (q: unknown): q is IngestQueue =>
  !!q && typeof (q as IngestQueue).enqueue === "function" && typeof (q as IngestQueue).flush === "function";

function wholeCounts(units: IngestUnitsParams["units"]): boolean {
  for (const kind in units) {
    const u = units[kind];
    if (
      !u ||
      (u.input != null && !Number.isSafeInteger(u.input)) ||
      (u.output != null && !Number.isSafeInteger(u.output))
    )
      return false;
  }
  return true;
}

export class Delivery {
  readonly #client: AsyncPayi;
  readonly #o: DeliveryOptions;
  #queue: IngestQueue | undefined;
  readonly #ownsQueue: boolean;
  /** Direct mode: each answer's ingest, settled without ever rejecting, by provider response id. */
  readonly #results = new Map<string, Promise<Settled>>();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(client: AsyncPayi, options: DeliveryOptions) {
    this.#client = client;
    this.#o = options;
    this.#ownsQueue = !isQueue(options.queue);
    if (options.mode === "ingest" && !this.#ownsQueue) this.#queue = options.queue as IngestQueue;
  }

  /** The queue, made on first use, so a direct-mode or proxy-mode instrumentor never holds one. */
  #ownQueue(): IngestQueue {
    if (!this.#queue) {
      const given = (this.#o.queue ?? {}) as IngestQueueOptions;
      // A callback of the options that throws is a fault to report, not an exception thrown into the host.
      const guarded = (name: string, fn: () => void) => {
        try {
          fn();
        } catch (err) {
          this.#o.onError(new PayiError(`payi/instrument: queue option ${name} threw: ${String(err)}`));
        }
      };
      this.#queue = this.#client.ingest.queue({
        overflow: "drop-oldest",
        ...given,
        onError: (err, events) => {
          guarded("onError", () => given.onError?.(err, events));
          this.#o.onError(err);
        },
        // The queue checks each batch before sending it: an event refused there (or by Pay-i) is a fault to report.
        onEventError: (err, e) => {
          guarded("onEventError", () => given.onEventError?.(err, e));
          this.#o.onError(new PayiError(`payi/instrument: an event was refused: ${describe(err)}`), toUnitsEvent(e));
        },
        onDrop: (e) => {
          guarded("onDrop", () => given.onDrop?.(e));
          this.#o.onError(new PayiError("payi/instrument: the ingest queue is full; an event was dropped"));
        },
      });
    }
    return this.#queue;
  }

  send(event: IngestUnitsParams): void {
    if (this.#o.mode === "direct") return this.#direct(event);
    // Built from typed code: a queue of this SDK takes it (and sends its batch) without checking
    // it again, unless a provider's count is not a whole number (the one value taken as the
    // provider gave it); then the queue's check refuses it, naming the field, and onError hears.
    if (wholeCounts(event.units)) trusted.add(event);
    const p = this.#ownQueue()
      .enqueue(event)
      .catch((err: Error) => this.#o.onError(err, event));
    this.#track(p);
  }

  #direct(event: IngestUnitsParams): void {
    const settled: Promise<Settled> = this.#client.ingest.units(event).then(
      (r) => ({ ok: true as const, value: r.xproxy_result }),
      (err: Error) => {
        this.#o.onError(err, event);
        return { ok: false as const, error: err };
      },
    );
    const id = event.provider_response_id;
    if (id) {
      this.#results.set(id, settled);
      if (this.#results.size > this.#o.keepResults) this.#results.delete(this.#results.keys().next().value!);
    }
    this.#track(settled);
  }

  /** Direct mode: waits for every call. Ingest mode: runs `end` on the queue, and waits for each enqueue() until it ends. */
  async #settle(end: (queue: IngestQueue) => Promise<void>): Promise<void> {
    if (!this.#queue) {
      while (this.#inFlight.size) await Promise.all([...this.#inFlight]);
      return;
    }
    const ended = end(this.#queue);
    // An enqueue() that ended first has reported its refusal (its catch ran) by then.
    await Promise.all([...this.#inFlight].map((p) => Promise.race([p, ended])));
    await ended;
  }

  #track(p: Promise<unknown>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Direct mode: the `xproxy_result` of the event for this provider response id. */
  async result(id: string): Promise<XproxyResult> {
    if (this.#o.mode !== "direct")
      throw new PayiError(
        'payi/instrument: result() needs mode "direct" (in "ingest" mode events go out in batches; proxy mode answers carry xproxy_result themselves)',
      );
    const settled = this.#results.get(id);
    if (!settled)
      throw new PayiError(
        `payi/instrument: no tracked call answered with id ${JSON.stringify(id)} (the last ${this.#o.keepResults} are kept)`,
      );
    const s = await settled;
    if (!s.ok) throw s.error;
    return s.value;
  }

  /**
   * Resolves when every event handed over so far is delivered or reported to onError (with a
   * spool: or kept in it), except those still waiting for room in a full queue (overflow
   * "wait"): the queue's own flush waits for the rest, and room comes only when Pay-i takes events.
   */
  async flush(): Promise<void> {
    await this.#settle((q) => q.flush());
  }

  /** Flushes; an owned queue is shut down, a queue of the user's stays open. */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = this.#settle((q) => (this.#ownsQueue ? q.shutdown() : q.flush()));
    if (options.timeoutMs === undefined) return done;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, options.timeoutMs)))]);
    clearTimeout(timer);
  }
}
