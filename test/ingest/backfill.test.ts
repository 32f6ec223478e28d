// Backfill: bounded memory, rejects with reasons, and a checkpoint to resume without resending.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, type IngestUnitsParams } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("backfill");
const client = () => new AsyncPayi({ apiKey: "backfill-key", baseURL: ctx.server.url, logLevel: "off" });

describe("ingest.backfill", () => {
  it("sends a JSON Lines file in batches and writes refused events to rejects, with the reason", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "events.jsonl");
    const lines = Array.from({ length: 23 }, (_, n) => JSON.stringify(ev(n, n === 5 ? { properties: { refuse: "yes" } } : {})));
    lines.splice(10, 0, "{not json", JSON.stringify({ category: "system.openai", units: { text: { input: "lots" } } }));
    writeFileSync(file, `${lines.join("\n")}\n`);
    const progress: number[] = [];
    const summary = await client().ingest.backfill(file, { batchSize: 5, concurrency: 2, rejects: join(ctx.dir, "rejects.jsonl"), onProgress: (p) => progress.push(p.accepted + p.rejected) });
    expect(summary).toMatchObject({ read: 25, accepted: 22, rejected: 3, interrupted: false });
    expect(ctx.server.accepted.size).toBe(22);
    const rejects = readFileSync(join(ctx.dir, "rejects.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rejects.map((r) => r.index).sort((a, b) => a - b)).toEqual([5, 10, 11]);
    expect(rejects.find((r) => r.index === 5).reason).toMatch(/category_resource_not_found/);
    expect(rejects.find((r) => r.index === 10).reason).toMatch(/not JSON/);
    expect(rejects.find((r) => r.index === 11).reason).toMatch(/units\.text\.input/);
    expect(progress.at(-1)).toBe(25);
  });

  it("keeps memory bounded: reads the source only as fast as batches complete", async () => {
    ctx.server.behave(async () => (await new Promise((r) => setTimeout(r, 5)), false));
    let pulled = 0;
    let sent = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<IngestUnitsParams> {
      for (let n = 0; n < 2_000; n++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - sent);
        yield ev(n);
      }
    }
    const summary = await client().ingest.backfill(source(), { batchSize: 50, concurrency: 3, onProgress: (p) => (sent = p.accepted) });
    expect(summary.accepted).toBe(2_000);
    expect(maxAhead).toBeLessThanOrEqual(50 * 3 + 50);
  });

  it("resumes from its checkpoint after an interruption without resending what was accepted", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const checkpoint = join(ctx.dir, "checkpoint");
    const events = Array.from({ length: 100 }, (_, n) => ev(n));
    const stop = new AbortController();
    const first = await client().ingest.backfill(events, { batchSize: 10, concurrency: 2, checkpoint, signal: stop.signal, onProgress: (p) => p.batches === 3 && stop.abort() });
    expect(first.interrupted).toBe(true);
    expect(first.accepted).toBeLessThan(100);
    expect(Number(readFileSync(checkpoint, "utf8"))).toBe(first.accepted);
    const second = await client().ingest.backfill(events, { batchSize: 10, concurrency: 2, checkpoint });
    expect(second.skipped).toBe(first.accepted);
    expect(first.accepted + second.accepted).toBe(100);
    expect(ctx.server.accepted.size).toBe(100);
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
  });
});
