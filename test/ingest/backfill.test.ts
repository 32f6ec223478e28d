// Backfill: bounded memory, rejects with reasons, and a checkpoint to resume without resending.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AsyncPayi,
  PayiError,
  PermissionDeniedError,
  type BackfillProgress,
  type IngestUnitsParams,
} from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("backfill");
const client = (maxRetries = 2) =>
  new AsyncPayi({ apiKey: "backfill-key", baseURL: ctx.server.url, logLevel: "off", maxRetries });
const reset = () => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
};
const readJsonl = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const onServer = () => [...ctx.server.accepted.values()].reduce((a, b) => a + b, 0);
/** The source events, from its properties.n, that the server accepted more than once. */
const duplicates = () => [...ctx.server.accepted].filter(([, c]) => c > 1).map(([n]) => n);

describe("ingest.backfill", () => {
  it("sends a JSON Lines file in batches and writes refused events to rejects, with the reason", async () => {
    reset();
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "events.jsonl");
    const lines = Array.from({ length: 23 }, (_, n) =>
      JSON.stringify(ev(n, n === 5 ? { properties: { refuse: "yes" } } : {})),
    );
    lines.splice(
      10,
      0,
      "{not json",
      JSON.stringify({ category: "system.openai", units: { text: { input: "lots" } } }),
      "",
    );
    writeFileSync(file, `${lines.join("\n")}\n`);
    const progress: BackfillProgress[] = [];
    const rejectsFile = join(ctx.dir, "rejects.jsonl");
    const summary = await client().ingest.backfill(file, {
      batchSize: 5,
      concurrency: 2,
      rejects: rejectsFile,
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({
      read: 25,
      sent: 23,
      accepted: 22,
      rejected: 3,
      skipped: 0,
      batches: 5,
      interrupted: false,
    });
    expect(ctx.server.accepted.size).toBe(22);
    expect(summary.accepted + summary.rejected).toBe(summary.read);
    const rejects = readJsonl(rejectsFile);
    expect(rejects.map((r) => [r.index, r.line]).sort((a, b) => a[0] - b[0])).toEqual([
      [5, 6],
      [10, 11],
      [11, 12],
    ]);
    expect(rejects.find((r) => r.index === 5)).toMatchObject({
      event: { properties: { n: "5", refuse: "yes" } },
      reason: expect.stringMatching(/404 category_resource_not_found refused 5/),
    });
    expect(rejects.find((r) => r.index === 10)).toMatchObject({
      event: "{not json",
      reason: expect.stringMatching(/not JSON/),
    });
    expect(rejects.find((r) => r.index === 11).reason).toMatch(/units\.text\.input/);
    expect(progress.at(-1)).toMatchObject({ accepted: 22, rejected: 3 });
    expect(progress.map((p) => p.batches)).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps memory bounded: never reads more than batchSize x concurrency ahead of what is settled", async () => {
    reset();
    ctx.server.behave(async () => (await new Promise((r) => setTimeout(r, 5)), false));
    let pulled = 0;
    let settled = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<IngestUnitsParams> {
      for (let n = 0; n < 2_000; n++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - settled);
        yield ev(n);
      }
    }
    const summary = await client().ingest.backfill(source(), {
      batchSize: 50,
      concurrency: 3,
      onProgress: (p) => (settled = p.accepted + p.rejected),
    });
    expect(summary.accepted).toBe(2_000);
    expect(maxAhead).toBeLessThanOrEqual(50 * 3);
    expect(maxAhead).toBeGreaterThan(50); // it does read ahead: batches overlap
  });

  it("resumes from its checkpoint after an interruption without resending what was accepted", async () => {
    reset();
    ctx.server.behave(() => false);
    const checkpoint = join(ctx.dir, "checkpoint");
    const events = Array.from({ length: 100 }, (_, n) => ev(n));
    const stop = new AbortController();
    const first = await client().ingest.backfill(events, {
      batchSize: 10,
      concurrency: 2,
      checkpoint,
      signal: stop.signal,
      onProgress: (p) => p.batches === 3 && stop.abort(),
    });
    expect(first.interrupted).toBe(true);
    expect(first.accepted).toBeLessThan(100);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toEqual({ settled: first.accepted, ahead: [] });
    const second = await client().ingest.backfill(events, { batchSize: 10, concurrency: 2, checkpoint });
    expect(second.skipped).toBe(first.accepted);
    expect(first.accepted + second.accepted).toBe(100);
    expect(ctx.server.accepted.size).toBe(100);
    expect(duplicates()).toEqual([]);
  });

  it("stops on a batch that fails, and resumes without resending the later batches that were accepted", async () => {
    reset();
    // The batch holding event 20 is answered last, with a 403 (about the request, not its events); the batches after it go through.
    ctx.server.behave(async (req, res) => {
      if (!req.body.includes('"n":"20"')) return false;
      await new Promise((r) => setTimeout(r, 150));
      return (json(res, 403, { message: "not now", statusCode: 403 }), true);
    });
    const checkpoint = join(ctx.dir, "checkpoint-fail");
    const events = Array.from({ length: 100 }, (_, n) => ev(n));
    const failed = await client()
      .ingest.backfill(events, { batchSize: 10, concurrency: 4, checkpoint })
      .catch((e) => e);
    expect(failed).toBeInstanceOf(PermissionDeniedError);
    const saved = JSON.parse(readFileSync(checkpoint, "utf8"));
    expect(saved.settled).toBe(20);
    expect(saved.ahead.length).toBeGreaterThan(0); // batches after the failed one settled first
    const acceptedBefore = onServer();
    expect(acceptedBefore).toBeGreaterThan(20);

    ctx.server.behave(() => false);
    const second = await client().ingest.backfill(events, { batchSize: 10, concurrency: 4, checkpoint });
    expect(second.skipped).toBe(acceptedBefore);
    expect(ctx.server.accepted.size).toBe(100);
    expect(duplicates()).toEqual([]);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toEqual({ settled: 100, ahead: [] });
  });

  it("lets batches in flight settle before passing on an error of the source", async () => {
    reset();
    ctx.server.behave(async () => (await new Promise((r) => setTimeout(r, 20)), false));
    const checkpoint = join(ctx.dir, "checkpoint-source");
    async function* source(): AsyncGenerator<IngestUnitsParams> {
      for (let n = 0; n < 35; n++) yield ev(n);
      throw new Error("disk went away");
    }
    await expect(client().ingest.backfill(source(), { batchSize: 10, concurrency: 4, checkpoint })).rejects.toThrow(
      /disk went away/,
    );
    expect(ctx.server.accepted.size).toBe(30);
    expect(JSON.parse(readFileSync(checkpoint, "utf8")).settled).toBe(30);
  });

  it("refuses a checkpoint it did not write, and options it cannot honour", async () => {
    const checkpoint = join(ctx.dir, "checkpoint-bad");
    writeFileSync(checkpoint, "half a line");
    await expect(client().ingest.backfill([ev(1)], { checkpoint })).rejects.toThrow(PayiError);
    writeFileSync(checkpoint, "5");
    reset();
    ctx.server.behave(() => false);
    const resumed = await client().ingest.backfill(
      Array.from({ length: 8 }, (_, n) => ev(n)),
      { checkpoint },
    );
    expect(resumed).toMatchObject({ skipped: 5, accepted: 3 });
    await expect(client().ingest.backfill([ev(1)], { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });
  it("isolates what the service refuses for a whole request to the events concerned, and sends their neighbours", async () => {
    reset();
    // The service refuses any request holding event 7 with a 400 (its bulk check), and 13 with a 422.
    ctx.server.behave((req, res) => {
      if (req.body.includes('"n":"7"')) return (json(res, 400, { message: "invalid event", statusCode: 400 }), true);
      if (req.body.includes('"n":"13"')) return (json(res, 422, { message: "unprocessable", statusCode: 422 }), true);
      return false;
    });
    const rejectsFile = join(ctx.dir, "isolated.rejects.jsonl");
    const summary = await client().ingest.backfill(
      Array.from({ length: 20 }, (_, n) => ev(n)),
      { batchSize: 10, rejects: rejectsFile },
    );
    expect(summary).toMatchObject({ accepted: 18, rejected: 2, interrupted: false });
    expect(ctx.server.accepted.size).toBe(18);
    expect(duplicates()).toEqual([]);
    expect(readJsonl(rejectsFile).map((r) => [r.index, r.reason])).toEqual([
      [7, "400 invalid event"],
      [13, "422 unprocessable"],
    ]);
  });

  it("refuses an own __proto__ key by name (as JSON.parse makes it) and sends the rest of its batch", async () => {
    reset();
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "proto.jsonl");
    const poison = `{"category":"system.openai","units":{"text":{"input":1,"output":1}},"properties":{"n":"p","__proto__":{"admin":"yes"}}}`;
    writeFileSync(file, [JSON.stringify(ev(0)), poison, JSON.stringify(ev(2))].join("\n"));
    const rejectsFile = join(ctx.dir, "proto.rejects.jsonl");
    const summary = await client().ingest.backfill(file, { rejects: rejectsFile });
    expect(summary).toMatchObject({ accepted: 2, rejected: 1 });
    expect([...ctx.server.accepted.keys()].sort()).toEqual(["0", "2"]);
    expect(readJsonl(rejectsFile)[0].reason).toMatch(/properties\.__proto__: a key named __proto__ cannot be sent/);
  });

  it("takes its rejects file, and a queue's dead-letter file, back as a source as they are", async () => {
    reset();
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "again.jsonl");
    writeFileSync(
      file,
      [
        JSON.stringify(ev(0, { properties: { refuse: "yes" } })),
        "{broken",
        JSON.stringify({ category: "system.openai", units: { text: { input: "x" } } }),
      ].join("\n"),
    );
    const first = join(ctx.dir, "again.rejects.jsonl");
    expect(await client().ingest.backfill(file, { rejects: first })).toMatchObject({ accepted: 0, rejected: 3 });
    // Fixed on the service's side: the same file sent as it is, and refused again only for what still is wrong.
    ctx.server.behave((req, res) =>
      req.body.includes("refuse")
        ? (json(res, 200, { ingest_count: JSON.parse(req.body).length, error_count: 0, errors: [] }), true)
        : false,
    );
    const second = join(ctx.dir, "again.rejects-2.jsonl");
    expect(await client().ingest.backfill(first, { rejects: second })).toMatchObject({
      read: 3,
      accepted: 1,
      rejected: 2,
    });
    expect(readJsonl(second).map((r) => r.reason.replace(/:.*/, ""))).toEqual(["not JSON", "units.text.input"]);
    expect(readJsonl(second)[0].event).toBe("{broken");
    // A dead-letter line: { event, reason, at }.
    const dead = join(ctx.dir, "dead-letter.jsonl");
    writeFileSync(
      dead,
      `${JSON.stringify({ event: { ...ev(5), resource_scope: "global" }, reason: "404 refused 5", at: "2026-01-01T00:00:00Z" })}\n`,
    );
    reset();
    ctx.server.behave(() => false);
    expect(await client().ingest.backfill(dead)).toMatchObject({ accepted: 1, rejected: 0 });
    expect(JSON.parse(ctx.server.received[0].body)[0]).toMatchObject({ scope: "global", properties: { n: "5" } });
  });
  it("refuses a batchSize or concurrency that is not a positive integer, by name, before reading anything", async () => {
    reset();
    let read = 0;
    const source = function* () {
      read++;
      yield ev(0);
    };
    await expect(client().ingest.backfill(source(), { batchSize: 1.5 })).rejects.toThrow(
      new PayiError("ingest.backfill: batchSize must be a positive integer, got 1.5"),
    );
    await expect(client().ingest.backfill(source(), { concurrency: 0 })).rejects.toThrow(
      new PayiError("ingest.backfill: concurrency must be a positive integer, got 0"),
    );
    expect(read).toBe(0);
    expect(ctx.server.received).toEqual([]);
  });

  it("counts as read, when stopped, only the events it put in batches; rejects of an iterable have no line", async () => {
    reset();
    ctx.server.behave(() => false);
    const stop = new AbortController();
    const rejectsFile = join(ctx.dir, "stopped.rejects.jsonl");
    const events = Array.from({ length: 30 }, (_, n) => ev(n, n === 3 ? { properties: { refuse: "yes" } } : {}));
    const summary = await client().ingest.backfill(events, {
      batchSize: 10,
      concurrency: 1,
      rejects: rejectsFile,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    expect(summary).toEqual({
      read: 10,
      sent: 10,
      accepted: 9,
      rejected: 1,
      skipped: 0,
      batches: 1,
      interrupted: true,
    });
    expect(readJsonl(rejectsFile)).toEqual([
      {
        index: 3,
        event: ev(3, { properties: { refuse: "yes" } }),
        reason: "404 category_resource_not_found refused 3",
      },
    ]);
  });
});
