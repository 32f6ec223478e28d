// Where node:fs cannot be had (an edge runtime, a Node.js before 20.16), what needs files
// says so at once, naming the feature, before anything is read or sent; what needs none works.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiError } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("no-files");
const client = () => new AsyncPayi({ apiKey: "no-files-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });
type Proc = { getBuiltinModule?: unknown };

/** Runs `fn` as a runtime without process.getBuiltinModule would (the check is made on the call, synchronously). */
function withoutBuiltins<T>(fn: () => T): T {
  const proc = process as Proc;
  const had = proc.getBuiltinModule;
  proc.getBuiltinModule = undefined;
  try {
    return fn();
  } finally {
    proc.getBuiltinModule = had;
  }
}
const needs = (feature: string) => `${feature} needs Node.js 20.16+ (or Bun or Deno): it reads and writes files.`;

describe("without node:fs", () => {
  it("a backfill from a file, or with a rejects or checkpoint file, is refused by name; nothing is sent", async () => {
    ctx.server.received.length = 0;
    ctx.server.behave(() => false);
    const payi = client();
    const calls = withoutBuiltins(() => [
      payi.ingest.backfill(join(ctx.dir, "events.jsonl")),
      payi.ingest.backfill([ev(0)], { rejects: join(ctx.dir, "rejects.jsonl") }),
      payi.ingest.backfill([ev(1)], { checkpoint: join(ctx.dir, "checkpoint") }),
    ]);
    for (const call of calls) {
      const err = await call.catch((e) => e);
      expect(err).toBeInstanceOf(PayiError);
      expect(err.message).toBe(needs("ingest.backfill with files"));
    }
    expect(ctx.server.received).toEqual([]);
  });

  it("a backfill of events in memory, with no file, is sent", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const payi = client();
    const summary = await withoutBuiltins(() => payi.ingest.backfill([ev(0), ev(1)]));
    expect(summary).toMatchObject({ accepted: 2, rejected: 0 });
    expect([...ctx.server.accepted.keys()].sort()).toEqual(["0", "1"]);
  });

  it("a queue with a spool is refused by name; one without is made", async () => {
    const payi = client();
    expect(() => withoutBuiltins(() => payi.ingest.queue({ spool: join(ctx.dir, "spool") }))).toThrow(
      needs("ingest.queue's spool"),
    );
    const q = withoutBuiltins(() => payi.ingest.queue());
    await q.enqueue(ev(2));
    await q.shutdown();
    expect(q.stats()).toMatchObject({ accepted: 1, delivered: 1 });
  });
});
