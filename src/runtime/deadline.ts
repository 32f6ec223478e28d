/**
 * One attempt's deadline: it fires when the attempt's time is up or the caller aborts.
 * It is its own small emitter, not an AbortController: undici's request API takes it as
 * a signal as it is, and on Node an AbortSignal handed to undici costs ~10 µs per call
 * (EventTarget listeners). A fetch gets a real AbortSignal, made only when asked for.
 */
import { AttemptClock } from "./attempt-clock.js";

type Listener = () => void;

export class Deadline extends AttemptClock {
  aborted = false;
  reason: unknown = undefined;
  #listeners = new Set<Listener>();
  #signal: AbortSignal | undefined;

  /** The same deadline as an AbortSignal, for a fetch. */
  get signal(): AbortSignal {
    // Stryker disable next-line ConditionalExpression: equivalent, a signal made again would be aborted the same way.
    if (!this.#signal) {
      const controller = new AbortController();
      // Stryker disable next-line ConditionalExpression: equivalent, an exchange asks for it as it starts, before the deadline can have fired.
      if (this.aborted) controller.abort(this.reason);
      else this.#listeners.add(() => controller.abort(this.reason));
      this.#signal = controller.signal;
    }
    return this.#signal;
  }

  // The EventEmitter methods undici calls on a signal that is not an EventTarget.
  on(_event: "abort", listener: Listener): this {
    this.#listeners.add(listener);
    return this;
  }
  addListener(event: "abort", listener: Listener): this {
    return this.on(event, listener);
  }
  // Stryker disable next-line BlockStatement: equivalent, undici lets go once its body has closed; left in, its listener finds nothing to abort.
  removeListener(_event: "abort", listener: Listener): this {
    this.#listeners.delete(listener);
    return this;
  }

  protected fire(reason: unknown): void {
    // Stryker disable next-line ConditionalExpression: equivalent, a second firing finds no listener left and no one reads its reason.
    if (this.aborted) return;
    // Stryker disable next-line BooleanLiteral: equivalent, read by a request that starts after the deadline fired, and none can (a redirect's hop starts in the turn the answer came).
    this.aborted = true;
    this.reason = reason;
    for (const listener of this.#listeners) listener();
    this.#listeners.clear();
  }
}
