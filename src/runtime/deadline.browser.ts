/**
 * deadline.ts for browser builds (see tsup.config.ts): every transport there is a fetch, so
 * the deadline is an AbortController, without the emitter that undici takes on Node.
 */
import { AttemptClock } from "./attempt-clock.js";

export class Deadline extends AttemptClock {
  readonly #controller = new AbortController();
  readonly signal = this.#controller.signal;

  protected fire(reason: unknown): void {
    this.#controller.abort(reason);
  }
}
