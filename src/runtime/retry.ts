/**
 * The retry policy, as data, and the waits it prescribes. Read by fetch.ts, which owns
 * the loop; nothing here does I/O.
 */
export const retryPolicy = {
  /** Statuses retried unless the server says `x-should-retry: false`. */
  statuses: [408, 409, 429] as readonly number[],
  /** Every 5xx is retried too. */
  retryServerErrors: true,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  /** Up to this fraction is taken off each computed wait, at random, so clients do not retry in step. */
  jitter: 0.25,
  /** A server-given wait is honoured when it lies in [0, this]. */
  maxRetryAfterMs: 60_000,
} as const;

/** Whether a response should be retried, before counting attempts. */
export function isRetryableResponse(response: { status: number; headers: Headers }): boolean {
  const override = response.headers.get("x-should-retry")?.trim().toLowerCase();
  if (override === "true") return true;
  if (override === "false") return false;
  return retryPolicy.statuses.includes(response.status) || (retryPolicy.retryServerErrors && response.status >= 500);
}

/** The wait the server asked for, in ms, or undefined when it gave none usable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  // Stryker disable next-line MethodExpression: equivalent, Headers strips a value's surrounding whitespace.
  if (ms !== null && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n)) return n;
  }
  const ra = headers.get("retry-after");
  // Stryker disable next-line MethodExpression: equivalent, Headers strips a value's surrounding whitespace.
  if (ra === null || ra.trim() === "") return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : date - now;
}

/**
 * The wait before retry number `retry` (1 for the first retry): the server's, when it is
 * between 0 and 60 s, else the exponential backoff less jitter.
 */
export function retryDelayMs(retry: number, headers?: Headers, random: () => number = Math.random): number {
  const asked = retryAfterMs(headers);
  // Stryker disable next-line ConditionalExpression: equivalent, `undefined >= 0` is false anyway.
  if (asked !== undefined && asked >= 0 && asked <= retryPolicy.maxRetryAfterMs) return asked;
  const base = Math.min(retryPolicy.initialDelayMs * 2 ** (retry - 1), retryPolicy.maxDelayMs);
  return base * (1 - retryPolicy.jitter * random());
}

/** The longest a call can spend waiting between attempts, for budgets such as the sync client's. */
export function maxBackoffBudgetMs(maxRetries: number): number {
  return maxRetries * retryPolicy.maxRetryAfterMs;
}
