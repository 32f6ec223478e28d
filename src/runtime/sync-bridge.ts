/**
 * The sync client's way into its worker thread: one worker per process, a call blocks the
 * main thread in Atomics.wait until the worker answers. The wait is cut in slices: between
 * two, the main thread checks that the worker's thread is still running, so a worker that
 * exits or runs out of memory fails the call within a slice, and the next call starts a new
 * worker. Each call brings its own budget; only a worker that overran it is stopped. (synckit
 * fixes one timeout per worker and cannot tell a dead worker from a slow one.)
 *
 * The check cannot wait for the worker's 'exit' event: the blocked call holds the event loop.
 * It reads the worker's loop idle time from Node's handle of the worker, as
 * `worker.performance.eventLoopUtilization()` does, which is -1 once the thread has stopped.
 * On a Node whose handle does not offer it, a dead worker is noticed at the budget's end.
 */
import type { MessagePort, ResourceLimits, Worker } from "node:worker_threads";
import { PayiError } from "./errors.js";

type WorkerThreads = typeof import("node:worker_threads");

/** How often a waiting call checks that the worker is alive, ms. */
const SLICE_MS = 100;

export interface Bridge {
  /** Sends one message and blocks until its answer, the worker's death, or the budget's end. */
  call<Reply>(message: unknown, budgetMs: number): Reply;
  /** Sends a message that needs no answer. */
  post(message: unknown): void;
}

/** What tests change: the worker's script and its resource limits. */
export const workerSettings: { script?: string; resourceLimits?: ResourceLimits } = {};

let current: WorkerBridge | undefined;
let started = 0;

/** The process's worker, started on first use or after the last one stopped. */
export function bridge(threads: WorkerThreads, script: () => string): WorkerBridge {
  if (!current?.alive) {
    current = new WorkerBridge(threads, workerSettings.script ?? script());
    started++;
  }
  return current;
}

/** For tests: workers started so far, and whether one is running. */
export function workerStats(): { started: number; running: boolean } {
  return { started, running: current?.alive ?? false };
}

/** A message the thread boundary cannot copy (a function in it, a getter that throws): nothing was sent. */
export class UncopyableError extends Error {
  constructor(cause: unknown) {
    // Stryker disable next-line StringLiteral,ObjectLiteral: the sync client replaces this error with a PayiValidationError naming the field; neither its message nor its cause reaches the caller
    super("The message cannot be copied to the worker thread.", { cause });
  }
}

export class WorkerBridge implements Bridge {
  readonly #threads: WorkerThreads;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  /**
   * [0]: the answers the worker has posted (it adds one and notifies per answer);
   * [1]: 1 once the worker's script runs.
   */
  readonly #signal = new Int32Array(new SharedArrayBuffer(8));
  readonly #handle: { loopIdleTime?: () => number } | undefined;
  #answered = 0;
  #seenRunning = false;
  #stopped: string | undefined;

  constructor(threads: WorkerThreads, script: string) {
    this.#threads = threads;
    const { port1, port2 } = new threads.MessageChannel();
    this.#port = port1;
    this.#worker = new threads.Worker(script, {
      workerData: { port: port2, signal: this.#signal },
      transferList: [port2],
      resourceLimits: workerSettings.resourceLimits,
    });
    // Neither keeps a script alive once its calls are done.
    this.#worker.unref();
    this.#port.unref();
    this.#worker.on("error", () => {});
    this.#worker.on("exit", (code) => (this.#stopped ??= `it exited with code ${code}`));
    const handle = Object.getOwnPropertySymbols(this.#worker).find((s) => s.description === "kHandle");
    this.#handle = handle && (this.#worker as unknown as Record<symbol, { loopIdleTime?: () => number }>)[handle];
  }

  get alive(): boolean {
    return this.#stopped === undefined && !this.#threadEnded();
  }

  post(message: unknown): void {
    // Stryker disable next-line ConditionalExpression: a notice posted to a stopped worker's port goes nowhere, as one not posted
    if (this.alive) this.#port.postMessage(message);
  }

  call<Reply>(message: unknown, budgetMs: number): Reply {
    if (!this.alive) throw this.#deathError();
    try {
      this.#port.postMessage(message);
    } catch (err) {
      throw new UncopyableError(err);
    }
    // Stryker disable next-line UpdateOperator: the count only spares a read before an answer is signalled; the read finds nothing until then
    const expected = ++this.#answered;
    const deadline = Date.now() + budgetMs;
    for (;;) {
      const seen = Atomics.load(this.#signal, 0);
      // Stryker disable next-line ConditionalExpression: the check only spares a read before the answer is signalled; the read finds nothing until then
      if (seen >= expected) {
        const received = this.#threads.receiveMessageOnPort(this.#port);
        // Stryker disable next-line ConditionalExpression: the worker posts its answer before it signals it, so a signalled answer is on the port
        if (received) return received.message as Reply;
      }
      // The usual case: the answer comes within the slice; the checks below run between slices.
      if (Atomics.wait(this.#signal, 0, seen, SLICE_MS) !== "timed-out") continue;
      if (this.#threadEnded()) {
        this.#stopped ??= "its thread ended (it exited, was terminated or ran out of memory)";
        throw this.#deathError();
      }
      const left = deadline - Date.now();
      // Stryker disable next-line EqualityOperator: stopping at the budget's very millisecond or one slice later is the same to the caller
      if (left <= 0) {
        // Stopped, so its late answer can never reach a later call.
        this.#stopped = "it overran a call's budget";
        void this.#worker.terminate();
        throw new PayiError(
          `The sync client's worker did not answer within ${budgetMs} ms; it was stopped, and the next call starts a new one.`,
        );
      }
    }
  }

  /** Whether the worker's thread has ended: its idle time is -1 before it starts and after it stops. */
  #threadEnded(): boolean {
    // Stryker disable next-line OptionalChaining: every Node this runs on (20.16 and later) gives the handle and its loopIdleTime
    const idle = this.#handle?.loopIdleTime?.();
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: every Node this runs on (20.16 and later) gives a number
    if (typeof idle !== "number") return false;
    if (idle >= 0) this.#seenRunning = true;
    return idle < 0 && (this.#seenRunning || Atomics.load(this.#signal, 1) === 1);
  }

  #deathError(): PayiError {
    return new PayiError(
      `The sync client's worker stopped (${this.#stopped ?? "its thread ended"}) while a call was waiting; the next call starts a new worker.`,
    );
  }
}
