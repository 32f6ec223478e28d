// A worker that stops while it starts, whether or not a waiting call saw it run, fails the
// call at once (not at the end of its budget of a minute or more), and the next call starts a
// new one. The budget is driven by a clock that runs fast: a call that waits for it fails in seconds.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Payi, PayiError } from "../../src/index.js";
import { workerSettings, workerStats } from "../../src/runtime/sync-bridge.js";
import { fastClock } from "../helpers/fast-clock.js";
import { forkServer } from "../helpers/fork-server.js";

let child: ChildProcess;
let url: string;
let script: string | undefined;
beforeAll(async () => {
  ({ child, url } = await forkServer());
  // A worker that exits on request (`x-fault: exit`), so that the next call starts one.
  script = workerSettings.script = fileURLToPath(new URL("../fixtures/sync-worker-fault.mjs", import.meta.url));
});
afterAll(() => void child.kill());

const client = () => new Payi({ apiKey: "sk-sync-start-0123456789", baseURL: url, logLevel: "off", maxRetries: 0 });
const stopped = new PayiError(
  "The sync client's worker stopped (its thread ended (it exited, was terminated or ran out of memory)) while a call was waiting; the next call starts a new worker.",
);

/** A call made with the worker's script `fixture`, on a clock that moves 1 s each time it is read. */
function callWith(fixture: string): unknown {
  if (workerStats().running)
    expect(() => client().limits.reset({ limit_id: "stall" }, { headers: { "x-fault": "exit" } })).toThrow(stopped);
  workerSettings.script = fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url));
  try {
    fastClock(1_000, () => client().limits.reset({ limit_id: "x" }));
  } catch (e) {
    return e;
  } finally {
    workerSettings.script = script;
  }
  throw new Error("expected a throw");
}

describe("Payi's worker, as it starts", () => {
  it("that exits as soon as it has started fails the call at once, and the next call starts another", () => {
    const started = workerStats().started;
    expect(callWith("sync-worker-start-exit.mjs")).toEqual(stopped);
    expect(client().limits.reset({ limit_id: "after" }).request_id).toBe("after");
    expect(workerStats().started).toBe(started + 2);
  });

  it("whose script fails while loading, before its event loop ever ran, fails the call at once", () => {
    const started = workerStats().started;
    expect(callWith("sync-worker-busy-load-fault.cjs")).toEqual(stopped);
    expect(client().limits.reset({ limit_id: "after" }).request_id).toBe("after");
    expect(workerStats().started).toBe(started + 2);
  });
});
