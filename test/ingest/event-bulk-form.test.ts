// The fields of an ingest.units event that a bulk event has no place for, or another name
// for: what enqueue() refuses, what the service receives, and what a dead-letter file gives
// back (the ingest.units form, to be sent again as it is).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError, type IngestUnitsParams } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("event-bulk-form");
const client = () =>
  new AsyncPayi({ apiKey: "bulk-form-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });
/** The bulk events the service received for these ingest.units events. */
async function sent(...events: unknown[]): Promise<Record<string, unknown>[]> {
  ctx.server.received.length = 0;
  ctx.server.behave(() => false);
  const q = client().ingest.queue({ flushAt: 100 });
  for (const e of events) await q.enqueue(e as IngestUnitsParams);
  await q.shutdown();
  return ctx.server.received.flatMap((r) => JSON.parse(r.body));
}

describe("disable_logging, which a bulk event cannot carry", () => {
  it("true: the event is refused at enqueue, naming the field and what to use instead; nothing is sent", async () => {
    ctx.server.received.length = 0;
    const q = client().ingest.queue();
    const err = await q.enqueue({ ...ev(0), disable_logging: true } as IngestUnitsParams).catch((e) => e);
    await q.shutdown();
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe(
      "Invalid params for ingest.queue enqueue: disable_logging: cannot be sent in a bulk ingest; send this event with client.ingest.units",
    );
    expect(err.issues).toEqual([
      {
        path: "disable_logging",
        message: "cannot be sent in a bulk ingest; send this event with client.ingest.units",
      },
    ]);
    expect(q.stats().accepted).toBe(0);
    expect(ctx.server.received).toEqual([]);
  });

  it("false asks for what a bulk event does anyway: the event is sent without it", async () => {
    const bulk = await sent({ ...ev(0), disable_logging: false }, ev(1));
    expect(bulk.map((b) => b.properties)).toEqual([{ n: "0" }, { n: "1" }]);
    for (const b of bulk) expect(b).not.toHaveProperty("disable_logging");
  });
});

describe("a key named __proto__", () => {
  it("is refused with the reason, by the queue that was given it", async () => {
    const q = client().ingest.queue();
    const err = await q
      .enqueue(JSON.parse('{"category":"system.openai","units":{"text":{"input":1}},"__proto__":{"x":1}}'))
      .catch((e) => e);
    await q.shutdown();
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe(
      "Invalid params for ingest.queue enqueue: __proto__: a key named __proto__ cannot be sent: JavaScript objects do not keep it as data",
    );
  });
});

describe("resource_scope, which a bulk event calls scope", () => {
  it("is sent as scope, and a refused event is written to the dead-letter file as resource_scope again", async () => {
    ctx.server.received.length = 0;
    ctx.server.behave(() => false);
    const dir = join(ctx.dir, "spool");
    const q = client().ingest.queue({ spool: dir, onEventError: () => {} });
    await q.enqueue({ ...ev(0), resource_scope: "datazone" } as IngestUnitsParams);
    await q.enqueue({ ...ev(1, { properties: { refuse: "yes" } }), resource_scope: "global" } as IngestUnitsParams);
    await q.shutdown();
    const bulk = ctx.server.received.flatMap((r) => JSON.parse(r.body));
    expect(bulk.map((b: Record<string, unknown>) => [b.scope, b.resource_scope])).toEqual([
      ["datazone", undefined],
      ["global", undefined],
    ]);
    const [dead] = readFileSync(join(dir, "dead-letter.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(dead.event).toEqual({ ...ev(1, { properties: { refuse: "yes" } }), resource_scope: "global" });
  });
});

describe("values JSON cannot carry", () => {
  it("are refused at enqueue with the reason for each (an invalid Date, a symbol), not as a wrong type", async () => {
    const q = client().ingest.queue();
    const err = await q
      .enqueue({ ...ev(0), event_timestamp: new Date(Number.NaN), properties: { s: Symbol("s") } } as never)
      .catch((e) => e);
    await q.shutdown();
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`).sort()).toEqual([
      "event_timestamp: invalid Date",
      "properties.s: a symbol cannot be sent as JSON",
    ]);
  });

  it("null, where the spec allows it, is no such value: the event is sent with it", async () => {
    const [bulk] = await sent({ ...ev(0), end_to_end_latency_ms: null, http_status_code: null });
    expect(bulk).toMatchObject({ end_to_end_latency_ms: null, http_status_code: null });
  });
});
