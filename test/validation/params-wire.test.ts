// The params object as it reaches a local server: only what the user gave is sent, the
// conversions are the documented ones, and a refusal names exactly the field and why.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
const client = (o: ConstructorParameters<typeof AsyncPayi>[0] = {}) =>
  new AsyncPayi({ apiKey: "test-key-params-wire", baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });
const answer = (body: unknown) => server.handle((_r, res) => json(res, 200, body));
const query = (i = 0) => Object.fromEntries(new URL(server.received[i].url, server.url).searchParams);
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as PayiValidationError,
  );

describe("query parameters", () => {
  it("a param left undefined is not sent, so the client's defaultQuery applies; one given wins over it", async () => {
    answer({ items: [], cursor: null });
    const c = client({ defaultQuery: { limit: 5 } });
    await c.limits.list({ limit: undefined, limit_name: undefined });
    await c.limits.list({ limit: 7 });
    expect([query(0), query(1)]).toEqual([{ limit: "5" }, { limit: "7" }]);
  });

  it("a per-call query list holding a lone surrogate is refused once, naming the entry's field", async () => {
    answer({ items: [], cursor: null });
    const err = await refusal(client().limits.list({}, { query: { tags: ["ok", "a\uD800", "\uDC00b"] } as never }));
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err!.issues).toEqual([
      {
        path: "options.query.tags",
        message: "holds a lone UTF-16 surrogate, which a URL cannot carry",
        code: "invalid_string",
      },
    ]);
    expect(server.received).toHaveLength(0);
  });
});

describe("header parameters", () => {
  it("sends a list entry as it is checked: trimmed of surrounding whitespace, line breaks included", async () => {
    answer(ingestOk);
    await client().ingest.units({ ...event, limit_ids: ["lim_a\n", "\tlim_b "], user_id: "ann smith~ops" });
    expect(server.received[0].headers["xproxy-limit-ids"]).toBe("lim_a,lim_b");
    // Space and tilde are the ends of the printable range a header value holds.
    expect(server.received[0].headers["xproxy-user-id"]).toBe("ann smith~ops");
  });

  it("a list entry that is not a string is refused for its type alone, not as a header value", async () => {
    answer(ingestOk);
    const err = await refusal(client().ingest.units({ ...event, limit_ids: [["名"]] as never }));
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err!.issues).toEqual([
      { path: "limit_ids.0", message: "expected string, received array", code: "invalid_type" },
    ]);
    expect(server.received).toHaveLength(0);
  });
});

describe("body", () => {
  it("per-call body extras given as null add nothing", async () => {
    answer(ingestOk);
    await client().ingest.units(event, { body: null as never });
    expect(JSON.parse(server.received[0].body)).toEqual(event);
  });

  it("sends an empty list as an empty list, a map's BigInt as its digits, and one object given twice twice", async () => {
    answer(ingestOk);
    const counts = { input: 10, output: 50 };
    await client().ingest.units({
      ...event,
      units: { text: counts, text_cached: counts },
      provider_response_json: [],
      properties: { tokens: 12345678901234567890n as never },
    });
    expect(JSON.parse(server.received[0].body)).toEqual({
      ...event,
      units: { text: counts, text_cached: counts },
      provider_response_json: [],
      properties: { tokens: "12345678901234567890" },
    });
  });
});
