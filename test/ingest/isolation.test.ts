// One bad event never costs its neighbours in the queue: what the service or the bulk check
// refuses is narrowed down to the events concerned, and the rest are delivered.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError, type IngestUnitsParams } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("isolation");
const client = () =>
  new AsyncPayi({ apiKey: "isolation-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });
const delivered = () => [...ctx.server.accepted.keys()].sort((a, b) => Number(a) - Number(b));
const reset = () => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
};

describe("one bad event in the queue", () => {
  it("a 400 or 422 for the whole request is narrowed down to the event it is about; the others are delivered once", async () => {
    reset();
    ctx.server.behave((req, res) => {
      if (req.body.includes('"n":"3"')) return (json(res, 400, { message: "invalid event", statusCode: 400 }), true);
      if (req.body.includes('"n":"6"')) return (json(res, 422, { message: "unprocessable", statusCode: 422 }), true);
      return false;
    });
    const refused: string[] = [];
    const errors: Error[] = [];
    const q = client().ingest.queue({
      flushAt: 8,
      onEventError: (err, e) => refused.push(`${e.properties?.n}: ${err.statusCode} ${err.message}`),
      onError: (e) => errors.push(e),
    });
    for (let n = 0; n < 8; n++) await q.enqueue(ev(n));
    await q.flush();
    expect(delivered()).toEqual(["0", "1", "2", "4", "5", "7"]);
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
    expect(refused.sort()).toEqual(["3: 400 400 invalid event", "6: 422 422 unprocessable"]);
    expect(errors).toEqual([]);
    expect(q.stats()).toMatchObject({ accepted: 8, delivered: 6, failed: 2, pending: 0 });
  });

  it("an event the bulk check refuses before sending (here one spooled by hand) goes to the dead-letter file; its batch is delivered", async () => {
    reset();
    ctx.server.behave(() => false);
    const dir = join(ctx.dir, "spool-bad");
    mkdirSync(dir);
    const rec = (id: number, event: unknown) => `${JSON.stringify({ id, event })}\n`;
    writeFileSync(
      join(dir, "events.jsonl"),
      rec(1, ev(1)) + rec(2, { ...ev(2), units: { text: { input: "lots" } } }) + rec(3, ev(3)),
    );
    const refused: string[] = [];
    const q = client().ingest.queue({ spool: dir, onEventError: (err) => refused.push(err.message) });
    await q.flush();
    expect(delivered()).toEqual(["1", "3"]);
    expect(refused).toEqual(["units.text.input: expected integer, received string"]);
    const dead = readFileSync(join(dir, "dead-letter.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead).toMatchObject([
      {
        event: { properties: { n: "2" } },
        reason: "invalid_params units.text.input: expected integer, received string",
      },
    ]);
    await q.shutdown();
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe("");
  });

  it("refuses an own __proto__ key by name at enqueue, as JSON.parse makes it, instead of sending the event changed", async () => {
    reset();
    ctx.server.behave(() => false);
    const q = client().ingest.queue({ flushAt: 10 });
    const poison = JSON.parse(
      '{"category":"system.openai","units":{"text":{"input":1,"output":1}},"properties":{"n":"p","__proto__":{"x":"y"}}}',
    ) as IngestUnitsParams;
    const err = await q.enqueue(poison).catch((e) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(["properties.__proto__"]);
    await q.enqueue(ev(1));
    await q.shutdown();
    expect(delivered()).toEqual(["1"]);
    expect(q.stats()).toMatchObject({ accepted: 1, delivered: 1 });
  });
});
