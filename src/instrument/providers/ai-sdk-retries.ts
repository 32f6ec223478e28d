/**
 * The attempts of one AI SDK call. `generateText`, `streamText` and the others retry outside the
 * middleware (`maxRetries`): they call the wrapped model's `doGenerate`/`doStream` again after
 * waiting (2 s, then twice as long each time, or the failed answer's `retry-after`), with a new
 * params object but the same prompt array, which they build once per step. So the prompt's
 * identity is what ties an attempt to the one before it.
 *
 * An attempt the SDK retries (an error it marks `isRetryable`: 408, 409, 429, 5xx, a connection
 * error) is held back; the next attempt with the same prompt takes its place and its start time.
 * The middleware cannot see the caller's `maxRetries`, so a held attempt that no attempt follows
 * (the last one, or `maxRetries: 0`) is reported as it stands once the SDK's wait has passed; the
 * caller's abort during the wait reports it at once, and shutdown() reports it then, once.
 */
import { PendingAttempts } from "../attempts.js";

/** The AI SDK's first wait before a retry; each next one is twice as long. */
const FIRST_WAIT = 2_000;
/** Beyond this, the AI SDK ignores a `retry-after` shorter than its own wait. */
const MAX_RETRY_AFTER = 60_000;

export interface Attempt {
  key: string;
  /** 0 for a call's first attempt. */
  n: number;
  /** The held attempt this one follows: its start time, and whether shutdown() reported it already. */
  prior?: { startedAt: number; cut?: boolean };
}

interface RetryableError {
  isRetryable?: unknown;
  name?: unknown;
  responseHeaders?: Record<string, string | undefined>;
  cause?: { responseHeaders?: Record<string, string | undefined> };
}

/** The SDK's wait after attempt `n` failed with `err`, as it computes it. */
function retryWait(err: RetryableError, n: number): number {
  const backoff = FIRST_WAIT * 2 ** n;
  const headers = err.responseHeaders ?? err.cause?.responseHeaders;
  let ms: number | undefined;
  const givenMs = Number.parseFloat(headers?.["retry-after-ms"] ?? "");
  if (!Number.isNaN(givenMs)) ms = givenMs;
  const after = headers?.["retry-after"];
  if (after && ms === undefined) {
    const s = Number.parseFloat(after);
    ms = Number.isNaN(s) ? Date.parse(after) - Date.now() : s * 1000;
  }
  return ms !== undefined && !Number.isNaN(ms) && ms >= 0 && (ms < MAX_RETRY_AFTER || ms < backoff) ? ms : backoff;
}

export class AiSdkAttempts {
  readonly #pending = new PendingAttempts();
  readonly #calls = new WeakMap<object, { key: string; attempts: number }>();
  #next = 0;

  /** An attempt starting now with this prompt (undefined when the prompt cannot tie attempts together). */
  begin(prompt: unknown): Attempt | undefined {
    if (!prompt || typeof prompt !== "object") return undefined;
    let call = this.#calls.get(prompt);
    if (!call) this.#calls.set(prompt, (call = { key: String(++this.#next), attempts: 0 }));
    const n = call.attempts++;
    return { key: call.key, n, prior: n > 0 ? this.#pending.take(call.key, n) : undefined };
  }

  /**
   * Holds a failed attempt when the SDK will retry it: `report` then runs when no attempt follows
   * in time (given when, the caller aborted during the wait). False: report it now.
   */
  hold(
    attempt: Attempt | undefined,
    err: unknown,
    startedAt: number,
    signal: AbortSignal | undefined,
    report: (abortedAt?: number) => void,
  ): boolean {
    const e = err as RetryableError | undefined;
    if (!attempt || e?.isRetryable !== true || e.name === "AbortError" || signal?.aborted) return false;
    this.#pending.hold(attempt.key, attempt.n, startedAt, retryWait(e, attempt.n), report, attempt.prior?.cut, signal);
    return true;
  }

  /** Reports every held attempt as it stands (at shutdown), once. */
  settleAll(): void {
    this.#pending.settleAll();
  }
}
