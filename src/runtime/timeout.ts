/** Request and connect timeouts, in milliseconds. */
export class Timeout {
  /** Whole-attempt bound: from sending until the body has been read. */
  readonly timeout: number;
  /** Bound on establishing the connection (TCP and TLS), where the runtime allows it (Node). */
  readonly connect: number;
  constructor(options: { timeout?: number; connect?: number } = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.connect = options.connect ?? Math.min(DEFAULT_CONNECT_TIMEOUT_MS, this.timeout);
    for (const [k, v] of Object.entries({ timeout: this.timeout, connect: this.connect })) {
      if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new RangeError(`Timeout: ${k} must be a positive number of milliseconds, got ${String(v)}`);
    }
  }
  static from(value: number | Timeout | { timeout?: number; connect?: number } | undefined): Timeout {
    if (value instanceof Timeout) return value;
    if (value === undefined) return new Timeout();
    // A plain { timeout, connect } also arrives here when options crossed a thread.
    if (typeof value === "object" && value !== null) return new Timeout(value);
    return new Timeout({ timeout: value });
  }
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
