// Node's 'beforeExit', as a queue uses it: the queues holding events flush when it comes, and
// where a runtime's process has no on/off (or there is no process), holding does nothing.
import { afterEach, describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { holdAtExit, releaseAtExit } from "../../src/ingest/exit-flush.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { until } from "./waits.js";

const ctx = useBulkServer("exit-flush");
afterEach(() => void vi.unstubAllGlobals());

describe("when the process is about to end for lack of work", () => {
  it("every queue holding events sends them, and lets the process go", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const before = process.listeners("beforeExit");
    const client = new AsyncPayi({ apiKey: "exit-key", baseURL: ctx.server.url, logLevel: "off" });
    const a = client.ingest.queue({ flushInterval: 60_000 });
    const b = client.ingest.queue({ flushInterval: 60_000 });
    await a.enqueue(ev(0));
    await b.enqueue(ev(1));
    const added = process.listeners("beforeExit").filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    (added[0] as () => void)(); // as Node calls it
    expect(process.listeners("beforeExit")).toEqual(before);
    await until(() => ctx.server.accepted.size === 2, 5_000);
    expect([...ctx.server.accepted.keys()].sort()).toEqual(["0", "1"]);
    await a.shutdown();
    await b.shutdown();
  });
});

describe("where the process cannot tell of its end", () => {
  const queue = { flush: async () => {} };

  /** Runs `fn` with this as the global process, restoring the real one whatever happens. */
  const withProcess = (fake: unknown, fn: () => void) => {
    vi.stubGlobal("process", fake);
    try {
      fn();
    } finally {
      vi.unstubAllGlobals();
    }
  };

  it("with no process at all, holding and letting go do nothing", () => {
    const before = process.listenerCount("beforeExit");
    withProcess(undefined, () => {
      holdAtExit(queue);
      releaseAtExit(queue);
    });
    expect(process.listenerCount("beforeExit")).toBe(before);
  });

  it("with a process that can add a listener but not remove it (or the reverse), none is added", () => {
    const called = vi.fn();
    for (const fake of [{ on: called }, { off: called }])
      withProcess(fake, () => {
        holdAtExit(queue);
        releaseAtExit(queue);
      });
    expect(called).not.toHaveBeenCalled();
  });
});
