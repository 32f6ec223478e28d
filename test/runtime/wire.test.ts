// What goes on the wire from one params object: headers, body, query and path, as the spec says.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-wire", baseURL: server.url, maxRetries: 0, logLevel: "off" });
const ok = () => server.handle((_r, res) => json(res, 200, ingestOk));
/** The request headers the SDK maps params to, by their (lower-cased) wire names. */
const proxyHeaders = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith("xproxy-") && k !== "xproxy-api-key"));

describe("ingest.units", () => {
  it("sends each header option under its wire name, and the rest as the body", async () => {
    ok();
    await client().ingest.units({
      ...event,
      limit_ids: [" monthly-budget ", "", "  ", "customer_abc123-daily"],
      use_case_id: "uc_1",
      use_case_name: "support-chat",
      use_case_step: "answer",
      use_case_version: 3,
      user_id: "customer_abc123",
      resource_scope: "datazone",
      account_name: "acme",
      disable_logging: true,
    });
    expect(server.received).toHaveLength(1);
    expect(proxyHeaders(server.received[0].headers)).toEqual({
      "xproxy-limit-ids": "monthly-budget,customer_abc123-daily",
      "xproxy-usecase-id": "uc_1",
      "xproxy-usecase-name": "support-chat",
      "xproxy-usecase-step": "answer",
      "xproxy-usecase-version": "3",
      "xproxy-user-id": "customer_abc123",
      "xproxy-resource-scope": "datazone",
      "xproxy-account-name": "acme",
      "xproxy-logging-disable": "true",
    });
    expect(server.received[0].headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(server.received[0].body)).toEqual(event);
  });

  it.each([[[]], [["", " ", "\t"]]])(
    "sends no xProxy-Limit-IDs for limit_ids %j, nor a header for an option not given",
    async (limit_ids) => {
      ok();
      await client().ingest.units({ ...event, limit_ids });
      expect(proxyHeaders(server.received[0].headers)).toEqual({});
    },
  );

  it("sends properties values as strings (null stays null) and a Date as ISO 8601", async () => {
    ok();
    await client().ingest.units({
      ...event,
      event_timestamp: new Date("2025-02-03T10:00:00.250Z"),
      properties: { tokens: 12, cached: false, team: "search", none: null },
      use_case_properties: { score: 0.5, ok: true },
    });
    expect(JSON.parse(server.received[0].body)).toEqual({
      ...event,
      event_timestamp: "2025-02-03T10:00:00.250Z",
      properties: { tokens: "12", cached: "false", team: "search", none: null },
      use_case_properties: { score: "0.5", ok: "true" },
    });
  });

  it("does not modify the params object it was given", async () => {
    ok();
    const when = new Date("2025-01-01T00:00:00Z");
    const params = { ...event, event_timestamp: when, properties: { n: 1, flag: true }, limit_ids: [" a ", ""] };
    const before = structuredClone(params);
    await client().ingest.units(params);
    expect(params).toEqual(before);
    expect(params.event_timestamp).toBe(when);
    expect(params.event_timestamp).toBeInstanceOf(Date);
    expect(params.properties.n).toBe(1);
  });
});

describe("params that are no object", () => {
  it.each([
    [null, "null"],
    [["lim_1"], "an array"],
    ["lim_1", "string"],
    [42, "number"],
  ])("%j is refused, saying what it is, and nothing is sent", async (params, what) => {
    const err = await client()
      .limits.retrieve(params as never)
      .catch((e) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe(
      `Invalid params for client.limits.retrieve: (params): params must be an object, got ${what}`,
    );
    expect(err.issues).toEqual([{ path: "", message: `params must be an object, got ${what}` }]);
    expect(server.received).toHaveLength(0);
  });
});

describe("other calls", () => {
  it("ingest.bulk sends the events array itself as the body", async () => {
    ok();
    const events = [event, { ...event, user_id: "u2", event_timestamp: new Date("2025-02-03T10:00:00Z") }];
    await client().ingest.bulk({ events });
    expect(server.received.map((r) => [r.method, r.url])).toEqual([["POST", "/api/v1/ingest/bulk"]]);
    expect(JSON.parse(server.received[0].body)).toEqual([
      event,
      { ...event, user_id: "u2", event_timestamp: "2025-02-03T10:00:00.000Z" },
    ]);
  });

  it("limits.reset sends reset_date, a Date, as the resetDate query parameter in ISO 8601", async () => {
    ok();
    await client().limits.reset({ limit_id: "lim_1", reset_date: new Date("2025-02-01T00:00:00Z") });
    const url = new URL(server.received[0].url, server.url);
    expect(url.pathname).toBe("/api/v1/limits/lim_1/reset");
    expect(Object.fromEntries(url.searchParams)).toEqual({ resetDate: "2025-02-01T00:00:00.000Z" });
  });

  it("limits.list sends its query parameters by their wire names", async () => {
    server.handle((_r, res) => json(res, 200, { items: [], cursor: null }));
    await client().limits.list({ limit: 20, sort_ascending: true, limit_name: "budget" });
    const url = new URL(server.received[0].url, server.url);
    expect(url.pathname).toBe("/api/v1/limits");
    expect(Object.fromEntries(url.searchParams)).toEqual({ limit: "20", sort_ascending: "true", limit_name: "budget" });
  });
});

describe("path parameters", () => {
  it.each([
    ["a/b", "/api/v1/limits/a%2Fb/reset"],
    ["a?b#c", "/api/v1/limits/a%3Fb%23c/reset"],
    ["x y%", "/api/v1/limits/x%20y%25/reset"],
    ["...", "/api/v1/limits/.../reset"],
    ["%2e%2e", "/api/v1/limits/%252e%252e/reset"],
  ])("%j reaches exactly %s", async (id, path) => {
    server.handle((_r, res) => json(res, 200, {}));
    await client().limits.reset({ limit_id: id });
    expect(server.received.map((r) => r.url)).toEqual([path]);
  });

  it.each(["", ".", ".."])("%j is refused locally, naming the field, and nothing is sent", async (id) => {
    server.handle((_r, res) => json(res, 200, {}));
    const params = { limit_id: id, reset_date: new Date("2025-02-01T00:00:00Z") };
    const before = structuredClone(params);
    const err = await client()
      .limits.reset(params)
      .catch((e) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toContain("limit_id");
    expect(err.message).toContain("limit_id");
    expect(server.received).toHaveLength(0);
    expect(params).toEqual(before);
    expect(params.reset_date).toBeInstanceOf(Date);
  });
});
