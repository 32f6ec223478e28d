/**
 * A queue's timers never keep a process alive, so a process that simply runs out of work
 * would end with events still waiting. Node says so first ('beforeExit'): then each queue
 * holding events flushes, and its requests keep the process up until they are answered.
 * A queue is let go as it flushes, and held again by the next event it takes: each event is
 * tried once more at exit, so an outage cannot keep the process up. A signal or
 * process.exit() gives no such chance: shutdown() is for them.
 */
interface Flushable {
  flush(): Promise<void>;
}

const holding = new Set<Flushable>();
const beforeExit = () => {
  for (const queue of [...holding]) {
    releaseAtExit(queue);
    void queue.flush();
  }
};

function proc(): { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown } | undefined {
  const p = (globalThis as { process?: { on?: unknown; off?: unknown } }).process;
  return typeof p?.on === "function" && typeof p.off === "function" ? (p as ReturnType<typeof proc>) : undefined;
}

/** Flushes the queue when the process is about to end for lack of work, unless released first. */
export function holdAtExit(queue: Flushable): void {
  if (!holding.size) proc()?.on("beforeExit", beforeExit);
  holding.add(queue);
}

export function releaseAtExit(queue: Flushable): void {
  if (holding.delete(queue) && !holding.size) proc()?.off("beforeExit", beforeExit);
}
