/** Request and connect timeouts, in milliseconds. */
import { PayiValidationError } from "./errors.js";

/** The longest delay a JavaScript timer holds. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class Timeout {
  /** Whole-attempt bound: from sending until the body has been read. */
  readonly timeout: number;
  /** Bound on establishing the connection (TCP and TLS), where the runtime allows it (Node). */
  readonly connect: number;
  constructor(options: { timeout?: number; connect?: number } = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.connect = options.connect ?? Math.min(DEFAULT_CONNECT_TIMEOUT_MS, this.timeout);
    // Above what a timer holds (about 24.8 days), a timer fires at once: refused rather than clamped.
    const issues = Object.entries({ timeout: this.timeout, connect: this.connect })
      .filter(([, v]) => !(typeof v === "number" && v > 0 && v <= MAX_TIMEOUT_MS))
      .map(([path, v]) => ({
        path,
        message: `must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS} (about 24.8 days), got ${String(v)}`,
      }));
    if (issues.length) throw new PayiValidationError("Timeout", issues, "options");
  }
  static from(value: number | Timeout | { timeout?: number; connect?: number } | undefined): Timeout {
    return toTimeout(value);
  }
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

// Outside the class: a class whose body names it is emitted by esbuild under another name
// (`_Timeout`), which browser stack traces would show.
function toTimeout(value: Parameters<typeof Timeout.from>[0]): Timeout {
  if (value instanceof Timeout) return value;
  // Stryker disable next-line ConditionalExpression: equivalent, { timeout: undefined } gives the same defaults.
  if (value === undefined) return new Timeout();
  // A plain { timeout, connect } also arrives here when options crossed a thread.
  if (typeof value === "object" && value !== null) return new Timeout(value);
  return new Timeout({ timeout: value });
}
