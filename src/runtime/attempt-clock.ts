/**
 * The clock of one attempt: its timeout and the caller's signal. What firing does is the
 * platform's (deadline.ts on Node, deadline.browser.ts in browser builds).
 */
import { APITimeoutError } from "./errors.js";

export abstract class AttemptClock {
  /** Whether the attempt ran out of time (rather than being aborted by the caller). */
  timedOut = false;
  #timer: ReturnType<typeof setTimeout>;
  #unlink: (() => void) | undefined;

  constructor(ms: number, user: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.fire(new APITimeoutError());
      // Over: a streamed body whose end cannot be seen (a fetch's) holds the caller's signal no longer.
      this.#unlink?.();
    }, ms);
    if (user) {
      const onAbort = () => this.fire(user.reason);
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, a signal aborts once and clear() or the timer removes the listener.
      user.addEventListener("abort", onAbort, { once: true });
      this.#unlink = () => user.removeEventListener("abort", onAbort);
    }
  }

  protected abstract fire(reason: unknown): void;

  /** Disarms it: the attempt is over. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#unlink?.();
  }

  /**
   * For a streamed body: the deadline stays armed until the caller has read it or walked
   * away, but it must not hold the process open.
   */
  keepUntilBodyRead(response: Response): void {
    if (!response.body) return this.clear();
    // Stryker disable next-line OptionalChaining: equivalent on Node, where every timer has unref(); a browser's has not.
    (this.#timer as { unref?: () => void }).unref?.();
    // A transport that knows when the body is done (node-response.ts) disarms it then, so a
    // read or closed stream is not held until its time would have run out.
    (response as { whenDone?: (done: () => void) => void }).whenDone?.(() => this.clear());
  }
}
