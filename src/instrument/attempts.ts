/**
 * Attempts a provider SDK may retry: which answers its retry rules take for retryable, how long
 * it waits, whether an attempt ended by the caller's abort, and the attempts held back until the
 * next one of the same request takes their place (so that a retried call is one event).
 */
import { deferred } from "./deferred.js";

interface Pending {
  retryCount: number;
  startedAt: number;
  timer: ReturnType<typeof setTimeout>;
  /** Reports the attempt as it stands, or (given when) as the caller's abort during the retry wait. */
  report: (abortedAt?: number) => void;
  /** Reported at shutdown as it stood: the attempts that follow it are not reported again. */
  cut?: boolean;
  /** The attempt's signal and our listener on it (the SDK aborts that signal when its caller aborts). */
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The caller's own signal, put on a request's init by a provider SDK's middleware (Anthropic's)
 * when the SDK stops passing the caller's abort on to an attempt's signal once it is answered.
 */
export const CALLER_SIGNAL = Symbol("payi.caller-signal");

/** The SDKs' longest default wait between attempts, and the most they honour from `retry-after`. */
const MAX_DEFAULT_WAIT = 8_000;
const MAX_RETRY_AFTER = 60_000;
/** Time for the next attempt to arrive after its wait (preparing the request, a loaded machine). */
const GRACE = 5_000;

/** What the retry rules read of an answer. */
export type Answer = Pick<Response, "status" | "headers">;

export function retryable(res: Answer | undefined): boolean {
  if (!res) return true;
  const header = res.headers.get("x-should-retry");
  if (header === "true") return true;
  if (header === "false") return false;
  return res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
}

export function retryWait(res: Answer | undefined): number {
  const ms = Number.parseFloat(res?.headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER);
  const after = res?.headers.get("retry-after");
  if (after) {
    const s = Number.parseFloat(after);
    const wait = Number.isFinite(s) ? s * 1000 : Date.parse(after) - Date.now();
    if (Number.isFinite(wait) && wait >= 0 && wait <= MAX_RETRY_AFTER) return wait;
  }
  return MAX_DEFAULT_WAIT;
}

/** Time between the SDK arming its timeout and this fetch starting, at most. */
const TIMER_SLACK = 100;

/**
 * Whether an attempt was aborted before its SDK's timeout (the request's `x-stainless-timeout`,
 * whole seconds, else the client's) could have fired: then the caller aborted it, and the SDK
 * does not retry.
 */
export function abortedByCaller(
  signal: AbortSignal | null | undefined,
  headers: Headers,
  clientTimeout: number | undefined,
  attemptAt: number,
): boolean {
  if (!signal?.aborted) return false;
  const given = headers.get("x-stainless-timeout");
  const timeout = given ? Number.parseInt(given, 10) * 1000 : clientTimeout;
  return timeout !== undefined && Date.now() - attemptAt < timeout - TIMER_SLACK;
}

export class PendingAttempts {
  readonly #byKey = new Map<string, Pending[]>();

  /** The held attempt this one follows, if any: it is dropped and returned. */
  take(key: string, retryCount: number): Pending | undefined {
    const list = this.#byKey.get(key);
    const i = list?.findIndex((p) => p.retryCount === retryCount - 1) ?? -1;
    if (!list || i < 0) return undefined;
    const [p] = list.splice(i, 1);
    if (!list.length) this.#byKey.delete(key);
    unhold(p);
    return p;
  }

  hold(
    key: string,
    retryCount: number,
    startedAt: number,
    waitMs: number,
    report: (abortedAt?: number) => void,
    cut?: boolean,
    signal?: AbortSignal | null,
  ): void {
    const p: Pending = {
      retryCount,
      startedAt,
      report,
      cut,
      timer: setTimeout(() => this.#settle(key, p), waitMs + GRACE),
    };
    (p.timer as { unref?: () => void }).unref?.();
    // The caller's abort during the wait ends the call: no attempt follows (the SDK checks its signal first).
    if (signal && !signal.aborted) {
      p.signal = signal;
      p.onAbort = () => {
        const at = Date.now();
        deferred.run(() => this.#settle(key, p, at));
      };
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    const list = this.#byKey.get(key);
    if (list) list.push(p);
    else this.#byKey.set(key, [p]);
  }

  #settle(key: string, p: Pending, abortedAt?: number): void {
    const list = this.#byKey.get(key);
    const i = list?.indexOf(p) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (!list.length) this.#byKey.delete(key);
    unhold(p);
    p.report(abortedAt);
  }

  /** Reports every held attempt now, as it stands (at shutdown); it stays held, marked, for the attempt that may follow. */
  settleAll(): void {
    for (const list of this.#byKey.values())
      for (const p of list) {
        if (p.cut) continue;
        p.cut = true;
        const report = p.report;
        p.report = () => {};
        report();
      }
  }
}

function unhold(p: Pending): void {
  clearTimeout(p.timer);
  if (p.onAbort) p.signal?.removeEventListener("abort", p.onAbort);
}
