// What a bulk answer means event by event, as backfill's rejects file shows it: the reason
// of each refusal, errors that name no event of the request, and statuses about a request.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { numbers } from "./waits.js";

const ctx = useBulkServer("send-batch");
const client = () => new AsyncPayi({ apiKey: "batch-key", baseURL: ctx.server.url, logLevel: "off", maxRetries: 0 });
let files = 0;
/** Backfills the events, each answer made by `answer`; returns the summary and the reasons in the rejects file, by index. */
async function backfill(
  events: number,
  answer: Parameters<typeof ctx.server.behave>[0],
  batchSize = events,
): Promise<{ summary: Record<string, unknown>; reasons: Record<number, string> }> {
  ctx.server.received.length = 0;
  ctx.server.accepted.clear();
  ctx.server.behave(answer);
  const rejects = join(ctx.dir, `rejects-${++files}.jsonl`);
  const summary = await client().ingest.backfill(
    Array.from({ length: events }, (_, n) => ev(n)),
    { rejects, batchSize },
  );
  const reasons: Record<number, string> = {};
  if (existsSync(rejects))
    for (const line of readFileSync(rejects, "utf8").split("\n").filter(Boolean)) {
      const r = JSON.parse(line);
      reasons[r.index] = r.reason;
    }
  return { summary: { ...summary }, reasons };
}
const bulkAnswer = (res: Parameters<typeof json>[0], errors: unknown[], count: number) => (
  json(res, 200, { ingest_count: count - errors.length, error_count: errors.length, errors }), true
);

describe("a bulk request's answer", () => {
  it("gives each refused event its reason: status, code and message once each, or 'refused' when it says nothing", async () => {
    const { summary, reasons } = await backfill(5, (req, res) =>
      bulkAnswer(
        res,
        [
          { item_index: 0, xproxy_result: { message: "404 gone", statusCode: 404 } },
          { item_index: 1, xproxy_result: { message: "gone", statusCode: 404, xproxy_error: { code: null } } },
          { item_index: 2, xproxy_result: { message: "" } },
          { item_index: 3, xproxy_result: {} },
          { item_index: 4 },
        ],
        numbers(req.body).length,
      ),
    );
    expect(reasons).toEqual({ 0: "404 gone", 1: "404 gone", 2: "refused", 3: "refused", 4: "refused" });
    expect(summary).toMatchObject({ accepted: 0, rejected: 5 });
  });

  it("takes an error that names no event of the request (no index, out of range, not whole) as nothing refused", async () => {
    const { summary, reasons } = await backfill(3, (req, res) =>
      bulkAnswer(
        res,
        [
          { xproxy_result: { message: "no index" } },
          { item_index: -1, xproxy_result: { message: "before" } },
          { item_index: 3, xproxy_result: { message: "after" } },
          { item_index: 0.5, xproxy_result: { message: "half" } },
          { item_index: "1", xproxy_result: { message: "text" } },
          null,
          { item_index: 2, xproxy_result: { message: "this one" } },
        ],
        numbers(req.body).length,
      ),
    );
    expect(reasons).toEqual({ 2: "this one" });
    expect(summary).toMatchObject({ accepted: 2, rejected: 1 });
  });

  it("narrows a 413 for the whole request down to the event it is about", async () => {
    const { summary, reasons } = await backfill(4, (req, res) =>
      numbers(req.body).includes(2) ? (json(res, 413, { message: "too large", statusCode: 413 }), true) : false,
    );
    expect(reasons).toEqual({ 2: "413 too large" });
    expect(summary).toMatchObject({ accepted: 3, rejected: 1 });
  });

  it.each([408, 429, 500, 503])(
    "leaves the events of a %i unsettled: backfill stops and a rerun sends them",
    async (status) => {
      const failed = await backfill(
        2,
        (_req, res) => (json(res, status, { message: "later", statusCode: status }), true),
      ).catch((e) => e);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as { status?: number }).status).toBe(status);
      expect(ctx.server.received).toHaveLength(1); // not split: it is about the request, not an event
    },
  );
});
