// One event as ingest.units takes it, checked and turned into a bulk event: what enqueue()
// refuses, and what the service receives for what it takes.
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError, type IngestUnitsParams } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("event");
const queue = () =>
  new AsyncPayi({ apiKey: "event-key", baseURL: ctx.server.url, logLevel: "off" }).ingest.queue({ flushAt: 100 });
/** The bulk events the service received for these ingest.units events. */
async function sent(...events: unknown[]): Promise<Record<string, unknown>[]> {
  ctx.server.received.length = 0;
  ctx.server.behave(() => false);
  const q = queue();
  for (const e of events) await q.enqueue(e as IngestUnitsParams);
  await q.shutdown();
  return ctx.server.received.flatMap((r) => JSON.parse(r.body));
}
const refusal = async (event: unknown) => {
  const q = queue();
  const err = await q.enqueue(event as IngestUnitsParams).catch((e) => e);
  await q.shutdown();
  return err;
};

describe("an ingest event", () => {
  it.each([
    ["null", null],
    ["an array", [ev(0)]],
    ["a string", "an event"],
  ])("is refused when it is %s, not an object", async (_, event) => {
    const err = await refusal(event);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe("Invalid params for ingest.queue enqueue: (params): an event must be an object");
    expect(err.issues).toEqual([{ path: "", message: "an event must be an object" }]);
  });

  it("is refused for an own __proto__ key at any depth, each named by its path", async () => {
    const err = await refusal(
      JSON.parse(
        '{"__proto__":{},"category":"system.openai","units":{"text":{"__proto__":{"input":1}}},"properties":{"n":"1"}}',
      ),
    );
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(["__proto__", "units.text.__proto__"]);
  });

  it("that refers to itself is refused for the field that does, not by a stack overflow", async () => {
    const event = ev(0) as Record<string, unknown> & { properties: Record<string, unknown> };
    event.properties.self = event;
    const err = await refusal(event);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(["properties.self"]);
  });

  it("is refused naming the queue and the field", async () => {
    const err = await refusal({ category: "system.openai", units: { text: { input: 1.5 } } });
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toMatch(/^Invalid params for ingest\.queue enqueue: units\.text\.input: /);
  });

  it("keeps text a header could not carry, as it is a body field of a bulk event", async () => {
    const [bulk] = await sent(ev(0, { user_id: "line\nbreak 🙂", account_name: "ä\tb" }));
    expect(bulk).toMatchObject({ user_id: "line\nbreak 🙂", account_name: "ä\tb" });
  });

  it("keeps list fields other than limit_ids as they are, blank items included", async () => {
    const [bulk] = await sent(ev(0, { provider_response_json: [" {} ", ""] }));
    expect(bulk.provider_response_json).toEqual([" {} ", ""]);
    expect(bulk).not.toHaveProperty("limit_ids");
  });

  it("leaves out limit_ids when every id is blank, and trims the others", async () => {
    const [blank, kept] = await sent(ev(0, { limit_ids: [" ", ""] }), ev(1, { limit_ids: ["  a", "b  ", " "] }));
    expect(blank).not.toHaveProperty("limit_ids");
    expect(kept.limit_ids).toEqual(["a", "b"]);
  });
});
