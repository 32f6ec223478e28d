// A backfill's checkpoint file: what it writes when batches settle out of order, what it
// resumes from (and so does not send again), and the files it refuses to guess about.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiError, PermissionDeniedError } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("checkpoint");
const client = () => new AsyncPayi({ apiKey: "checkpoint-key", baseURL: ctx.server.url, logLevel: "off" });
const events = (n: number) => Array.from({ length: n }, (_, k) => ev(k));
const reset = () => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(() => false);
};
/** The events (by properties.n) the server was sent, in ascending order. */
const sent = () =>
  ctx.server.received
    .flatMap((r) => (JSON.parse(r.body) as { properties: { n: string } }[]).map((e) => Number(e.properties.n)))
    .sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
/**
 * Refuses as a whole (403) each request holding event 0 or 20, once all `requests` have
 * arrived: the batches after a failed one are sent, and settle, before it fails.
 */
const refuseUntilAllArrive = (requests: number) =>
  ctx.server.behave(async (req, res) => {
    if (!/"n":"(0|20)"/.test(req.body)) return false;
    while (ctx.server.received.length < requests) await new Promise((r) => setTimeout(r, 5));
    return (json(res, 403, { message: "not now", statusCode: 403 }), true);
  });
const saved = (file: string) => JSON.parse(readFileSync(file, "utf8"));
let files = 0;
const checkpointFile = (text?: string) => {
  const file = join(ctx.dir, `checkpoint-${++files}`);
  if (text !== undefined) writeFileSync(file, text);
  return file;
};

describe("ingest.backfill checkpoint", () => {
  it.each([
    ["a negative count", '{"settled":-1,"ahead":[]}'],
    ["a count that is not whole", '{"settled":1.5,"ahead":[]}'],
    ["no count", '{"ahead":[]}'],
    ["no ranges", '{"settled":2}'],
    ["a range that ends where it starts", '{"settled":0,"ahead":[[3,3]]}'],
    ["a range that ends before it starts", '{"settled":0,"ahead":[[5,3]]}'],
    ["a range from a negative index", '{"settled":0,"ahead":[[-1,3]]}'],
    ["a range to an index that is not whole", '{"settled":0,"ahead":[[1,2.5]]}'],
    ["a range that is not a pair", '{"settled":0,"ahead":[{"0":1,"1":2}]}'],
    ["a bare negative number", "-3"],
    ["JSON null", "null"],
    ["text that is not JSON", "settled: 4"],
  ])("refuses a checkpoint with %s, naming the file, before sending anything", async (_, text) => {
    reset();
    const file = checkpointFile(text);
    const err = await client()
      .ingest.backfill(events(3), { checkpoint: file })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toBe(
      `ingest.backfill: the checkpoint ${file} is not one this SDK wrote; delete it to start over.`,
    );
    expect(ctx.server.received).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it.each([
    ["empty", ""],
    ["blank", " \n"],
  ])("starts from the first event when the checkpoint file is %s", async (_, text) => {
    reset();
    const file = checkpointFile(text);
    const summary = await client().ingest.backfill(events(4), { checkpoint: file });
    expect(summary).toMatchObject({ skipped: 0, accepted: 4 });
    expect(sent()).toEqual([0, 1, 2, 3]);
    expect(saved(file)).toEqual({ settled: 4, ahead: [] });
  });

  it("resumes from a checkpoint with ranges settled ahead: sends only what is outside them, and closes the gaps", async () => {
    reset();
    const first = checkpointFile('{"settled":0,"ahead":[[2,4]]}');
    expect(await client().ingest.backfill(events(8), { checkpoint: first })).toMatchObject({
      skipped: 2,
      accepted: 6,
    });
    expect(sent()).toEqual([0, 1, 4, 5, 6, 7]);
    expect(saved(first)).toEqual({ settled: 8, ahead: [] });

    reset();
    // Ranges as a hand-edited file may have them: out of order.
    const second = checkpointFile('{"settled":1,"ahead":[[9,10],[3,5]]}');
    expect(await client().ingest.backfill(events(8), { checkpoint: second, batchSize: 3 })).toMatchObject({
      skipped: 3,
      accepted: 5,
    });
    expect(sent()).toEqual([1, 2, 5, 6, 7]);
    // Event 9 has not been read yet (the source has 8), so its range stays ahead.
    expect(saved(second)).toEqual({ settled: 8, ahead: [[9, 10]] });
  });

  it("records the batches accepted after a failed one as one range when adjacent, as two when not, and resends only the failed", async () => {
    const adjacent = checkpointFile();
    reset();
    refuseUntilAllArrive(4);
    const one = await client()
      .ingest.backfill(events(20), { checkpoint: adjacent, batchSize: 5, concurrency: 4 })
      .catch((e) => e);
    expect(one).toBeInstanceOf(PermissionDeniedError);
    expect(saved(adjacent)).toEqual({ settled: 0, ahead: [[5, 20]] });

    const apart = checkpointFile();
    reset();
    refuseUntilAllArrive(4);
    const two = await client()
      .ingest.backfill(events(40), { checkpoint: apart, batchSize: 10, concurrency: 4 })
      .catch((e) => e);
    expect(two).toBeInstanceOf(PermissionDeniedError);
    expect(saved(apart)).toEqual({
      settled: 0,
      ahead: [
        [10, 20],
        [30, 40],
      ],
    });

    reset();
    expect(await client().ingest.backfill(events(40), { checkpoint: apart, batchSize: 10 })).toMatchObject({
      skipped: 20,
      accepted: 20,
    });
    expect(sent()).toEqual([...range(0, 10), ...range(20, 30)]);
    expect(saved(apart)).toEqual({ settled: 40, ahead: [] });
  });
});
