/**
 * One attempt's deadline: it fires when the attempt's time is up or the caller aborts.
 * It is its own small emitter, not an AbortController: undici's request API takes it as
 * a signal as it is, and on Node an AbortSignal handed to undici costs ~10 µs per call
 * (EventTarget listeners). A fetch gets a real AbortSignal, made only when asked for.
 */
import { APITimeoutError } from "./errors.js";

type Listener = () => void;

export class Deadline {
  aborted = false;
  reason: unknown = undefined;
  #expired = false;
  #listeners: Listener[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #user: AbortSignal | undefined;
  #onUserAbort: Listener | undefined;
  #signal: AbortSignal | undefined;

  constructor(ms: number, user: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#abort(new APITimeoutError());
    }, ms);
    if (user) {
      this.#user = user;
      this.#onUserAbort = () => this.#abort(user.reason);
      user.addEventListener("abort", this.#onUserAbort, { once: true });
    }
  }

  /** Whether the attempt ran out of time (rather than being aborted by the caller). */
  get timedOut(): boolean {
    return this.#expired;
  }

  /** Disarms it: the attempt is over. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onUserAbort) this.#user?.removeEventListener("abort", this.#onUserAbort);
    this.#onUserAbort = undefined;
  }

  /**
   * For a streamed body: the deadline stays armed until the caller has read it or walked
   * away, but it must not hold the process open.
   */
  keepUntilBodyRead(response: Response): void {
    if (!response.body) return this.clear();
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** The same deadline as an AbortSignal, for a fetch. */
  get signal(): AbortSignal {
    if (!this.#signal) {
      const controller = new AbortController();
      if (this.aborted) controller.abort(this.reason);
      else this.on("abort", () => controller.abort(this.reason));
      this.#signal = controller.signal;
    }
    return this.#signal;
  }

  // The EventEmitter methods undici calls on a signal that is not an EventTarget.
  on(_event: "abort", listener: Listener): this {
    this.#listeners.push(listener);
    return this;
  }
  addListener(event: "abort", listener: Listener): this {
    return this.on(event, listener);
  }
  removeListener(_event: "abort", listener: Listener): this {
    const i = this.#listeners.indexOf(listener);
    if (i >= 0) this.#listeners.splice(i, 1);
    return this;
  }

  #abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const listener of this.#listeners.splice(0)) listener();
  }
}
