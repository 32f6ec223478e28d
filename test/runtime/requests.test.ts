// What goes on the wire: header mapping, path encoding, options and the environment.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError, type Logger } from "../../src/index.js";
import { operations } from "../../src/generated/operations.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterAll(() => server.close());
const client = (o: ConstructorParameters<typeof AsyncPayi>[0] = {}) => new AsyncPayi({ apiKey: "test-key-requests", baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });
const ok = () => server.handle((_r, res) => json(res, 200, ingestOk));

describe("ingest.units options travel as headers", () => {
  it("maps every option to its header, exactly", async () => {
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
    const h = server.received[0].headers;
    expect({
      limits: h["xproxy-limit-ids"],
      id: h["xproxy-usecase-id"],
      name: h["xproxy-usecase-name"],
      step: h["xproxy-usecase-step"],
      version: h["xproxy-usecase-version"],
      user: h["xproxy-user-id"],
      scope: h["xproxy-resource-scope"],
      account: h["xproxy-account-name"],
      logging: h["xproxy-logging-disable"],
    }).toEqual({ limits: "monthly-budget,customer_abc123-daily", id: "uc_1", name: "support-chat", step: "answer", version: "3", user: "customer_abc123", scope: "datazone", account: "acme", logging: "true" });
    expect(JSON.parse(server.received[0].body)).toEqual(event);
  });

  it("sends no limit header when no ids remain, and no header for an absent option", async () => {
    ok();
    await client().ingest.units({ ...event, limit_ids: ["", " "] });
    const h = server.received[0].headers;
    expect(Object.keys(h).filter((k) => k.startsWith("xproxy-") && k !== "xproxy-api-key")).toEqual([]);
  });

  it("sends ingest.bulk's events as the array body, and limits.reset's Date as resetDate", async () => {
    ok();
    await client().ingest.bulk({ events: [event, { ...event, user_id: "u2" }] });
    expect(JSON.parse(server.received[0].body)).toEqual([event, { ...event, user_id: "u2" }]);
    ok();
    server.handle((_r, res) => json(res, 200, {}));
    await client().limits.reset({ limit_id: "lim_1", reset_date: new Date("2025-02-01T00:00:00Z") });
    expect(server.received[0].url).toBe("/api/v1/limits/lim_1/reset?resetDate=2025-02-01T00%3A00%3A00.000Z");
    await client().categories.list({ active: true, limit: 5 });
    expect(server.received[1].url).toBe("/api/v1/categories?Active=true&limit=5");
  });
});

describe("path parameters", () => {
  it.each([
    ["a/b", "/api/v1/limits/a%2Fb/reset"],
    ["a?b#c", "/api/v1/limits/a%3Fb%23c/reset"],
    ["x y%", "/api/v1/limits/x%20y%25/reset"],
    ["...", "/api/v1/limits/.../reset"],
  ])("%j reaches exactly %s", async (id, path) => {
    server.handle((_r, res) => json(res, 200, {}));
    await client().limits.reset({ limit_id: id });
    expect(server.received.map((r) => r.url)).toEqual([path]);
  });

  it.each(["", ".", ".."])("%j is refused locally", async (id) => {
    server.handle((_r, res) => json(res, 200, {}));
    const params = { limit_id: id };
    await expect(client().limits.reset(params)).rejects.toBeInstanceOf(PayiValidationError);
    expect(server.received).toHaveLength(0);
    expect(params).toEqual({ limit_id: id });
  });

  it("does not modify the user's params", async () => {
    ok();
    const when = new Date("2025-01-01T00:00:00Z");
    const params = { ...event, event_timestamp: when, properties: { n: 1 as unknown as string }, limit_ids: [" a "] };
    const copy = structuredClone(params);
    await client().ingest.units(params);
    expect(params).toEqual(copy);
    expect(params.event_timestamp).toBe(when);
  });
});

describe("options and the environment", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ["PAYI_API_KEY", "PAYI_BASE_URL", "PAYI_CUSTOM_HEADERS", "PAYI_LOG"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("reads PAYI_API_KEY, PAYI_BASE_URL and PAYI_CUSTOM_HEADERS", async () => {
    ok();
    process.env.PAYI_API_KEY = "env-key";
    process.env.PAYI_BASE_URL = server.url;
    process.env.PAYI_CUSTOM_HEADERS = "X-Internal-Service: BillingProcessor\nX-Request-Source: BatchJob";
    const c = new AsyncPayi({ maxRetries: 0 });
    expect(c.baseURL).toBe(server.url);
    await c.ingest.units(event);
    expect(server.received[0].headers).toMatchObject({ "xproxy-api-key": "env-key", "x-internal-service": "BillingProcessor", "x-request-source": "BatchJob" });
  });

  it("PAYI_LOG sets the level; an unknown level is refused", async () => {
    ok();
    const lines: string[] = [];
    const push = (m: string) => lines.push(m);
    const logger: Logger = { debug: push, info: push, warn: push, error: push };
    process.env.PAYI_LOG = "debug";
    await new AsyncPayi({ apiKey: "k", baseURL: server.url, logger }).ingest.units(event);
    expect(lines.some((l) => l.includes("POST /api/v1/ingest"))).toBe(true);
    process.env.PAYI_LOG = "chatty";
    expect(() => new AsyncPayi({ apiKey: "k", baseURL: server.url })).toThrow(/PAYI_LOG/);
  });

  it("defaultHeaders, defaultQuery and per-request headers, query and body; null removes a header", async () => {
    ok();
    const c = client({ defaultHeaders: { "X-Team": "search", "X-Drop": "me" }, defaultQuery: { tenant: "acme" } });
    await c.ingest.units(event, { headers: { "X-Drop": null, "X-Call": "1" }, query: { trace: "on" }, body: { extra_field: 42 } });
    const r = server.received[0];
    expect(r.headers["x-team"]).toBe("search");
    expect(r.headers["x-drop"]).toBeUndefined();
    expect(r.headers["x-call"]).toBe("1");
    expect(r.url).toBe("/api/v1/ingest?tenant=acme&trace=on");
    expect(JSON.parse(r.body)).toEqual({ ...event, extra_field: 42 });
  });

  it("withOptions changes what it is given and keeps the rest", async () => {
    ok();
    const base = client({ defaultHeaders: { "X-Team": "search" } });
    const other = base.withOptions({ maxRetries: 5, defaultHeaders: { "X-Team": "ads" } });
    await other.ingest.units(event);
    await base.ingest.units(event);
    expect(server.received.map((r) => [r.headers["x-team"], r.headers["xproxy-api-key"]])).toEqual([
      ["ads", "test-key-requests"],
      ["search", "test-key-requests"],
    ]);
    expect(other.baseURL).toBe(base.baseURL);
  });
});

describe("deprecated operations", () => {
  it("warn once per process, not once per call", async () => {
    const deprecated = Object.entries(operations).filter(([, op]) => op.deprecated).map(([id]) => id);
    expect(deprecated.length).toBeGreaterThan(0);
    server.handle((_r, res) => json(res, 200, { experience_id: "exp_1" }));
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    const c = client({ logLevel: "warn", logger });
    await c.experiences.retrieve({ experience_id: "exp_1" });
    await c.experiences.retrieve({ experience_id: "exp_1" });
    await c.experiences.delete({ experience_id: "exp_1" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/deprecated.*use cases/);
  });
});
