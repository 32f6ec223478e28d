/**
 * Work moved off the caller's path: run after the caller's own continuation (setImmediate),
 * counted so that flush() can wait for it.
 */
export const deferred = {
  pending: 0,
  waiters: [] as (() => void)[],
  /** Work waiting for the next turn: one setImmediate runs all of it. */
  queue: [] as (() => void)[],
  run(fn: () => void): void {
    this.pending++;
    if (this.queue.push(fn) === 1) setImmediate(() => this.drain());
  },
  drain(): void {
    const work = this.queue;
    this.queue = [];
    for (const fn of work) {
      try {
        fn();
      } catch {
        // Each piece reports its own faults; one that throws anyway does not stop the others.
      }
    }
    this.pending -= work.length;
    if (this.pending === 0) for (const w of this.waiters.splice(0)) w();
  },
  /** Resolves once the work deferred so far has run. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  },
};
