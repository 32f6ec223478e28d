// A backfill whose batches fail as a whole: the error it rejects with is the first one, and
// once one failed it sends nothing more, not even the last, partial batch.
import { describe, expect, it } from "vitest";
import { AsyncPayi, AuthenticationError, PermissionDeniedError, type IngestUnitsParams } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { numbers } from "./waits.js";

const ctx = useBulkServer("backfill-failures");
const client = () => new AsyncPayi({ apiKey: "failures-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });

describe("a backfill whose batches fail", () => {
  it("rejects with the error of the first batch that failed, after the others in flight settled", async () => {
    ctx.server.received.length = 0;
    let releaseSecond!: () => void;
    const second = new Promise<void>((r) => (releaseSecond = r));
    ctx.server.behave(async (req, res) => {
      if (numbers(req.body)[0] === 0) json(res, 403, { message: "first: forbidden", statusCode: 403 });
      else {
        await second;
        json(res, 401, { message: "second: unauthorized", statusCode: 401 });
      }
      return true;
    });
    const batches: number[] = [];
    const err = await client()
      .ingest.backfill([ev(0), ev(1)], {
        batchSize: 1,
        concurrency: 2,
        // The first batch has settled: only now does the second get its answer.
        onProgress: (p) => (batches.push(p.batches), releaseSecond()),
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
    expect(batches).toEqual([1, 2]);
  });

  it("sends nothing after a batch failed, not even the partial batch the source ended with", async () => {
    ctx.server.received.length = 0;
    ctx.server.behave((_req, res) => (json(res, 403, { message: "forbidden", statusCode: 403 }), true));
    let settled!: () => void;
    const firstSettled = new Promise<void>((r) => (settled = r));
    async function* source(): AsyncGenerator<IngestUnitsParams> {
      yield ev(0);
      yield ev(1);
      yield ev(2);
      // The source ends only once the first batch has failed (and the turn is over).
      await firstSettled;
      await new Promise((r) => setImmediate(r));
    }
    const err = await client()
      .ingest.backfill(source(), { batchSize: 2, concurrency: 2, onProgress: () => settled() })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(ctx.server.received.map((r) => numbers(r.body))).toEqual([[0, 1]]);
  });

  it("stops reading the source at the first failure, with no signal given", async () => {
    ctx.server.received.length = 0;
    ctx.server.behave((_req, res) => (json(res, 403, { message: "forbidden", statusCode: 403 }), true));
    let pulled = 0;
    function* source(): Generator<IngestUnitsParams> {
      for (let n = 0; n < 5; n++) {
        pulled++;
        yield ev(n);
      }
    }
    const err = await client()
      .ingest.backfill(source(), { batchSize: 1, concurrency: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(ctx.server.received).toHaveLength(1);
    expect(pulled).toBe(2);
  });
});
