// payi/testing: the in-process fake answers the document's examples, refuses what the SDK's
// schemas refuse as the real service would (422 with the violations), records what it
// received, and fails when told to; with AsyncPayi through `fetch`, with Payi through a port.
import { afterAll, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  AsyncPayi,
  InternalServerError,
  NotFoundError,
  Page,
  Payi,
  UnprocessableEntityError,
} from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { examples } from "../../src/generated/examples.js";
import { operations } from "../../src/generated/operations.js";
import { createMockPayi } from "../../src/testing/index.js";
import { operationFixtures } from "../fixtures/operations.js";
import { wireRequest } from "../helpers/wire-request.js";

const ids = Object.keys(operations) as OperationId[];
const method = (c: object, id: OperationId) =>
  id.split(".").reduce((node: any, part) => node[part], c) as (p?: unknown, o?: unknown) => any;
const asyncClient = (mock: ReturnType<typeof createMockPayi>, o: ConstructorParameters<typeof AsyncPayi>[0] = {}) =>
  new AsyncPayi({
    apiKey: "mock-test-key",
    fetch: mock.fetch,
    maxRetries: 0,
    logLevel: "off",
    strictResponseValidation: true,
    ...o,
  });

describe("answers", () => {
  const mock = createMockPayi();
  for (const id of ids) {
    for (const variant of ["minimal", "full"] as const) {
      it(`client.${id} (${variant} params) gets the document's default example`, async () => {
        const result = await method(asyncClient(mock), id)(operationFixtures[id][variant]);
        const expected = examples[id].answers[examples[id].ok].default;
        if (operations[id].paginated) {
          expect(result).toBeInstanceOf(Page);
          expect(result.toJSON()).toEqual(expected);
        } else expect(result).toEqual(expected);
        expect(mock.requests.at(-1)).toMatchObject({ operation: id, answer: examples[id].ok });
      });
    }
  }

  it("Prefer: code=<status> and example=<name>, as Prism reads them", async () => {
    const c = asyncClient(mock);
    const err = await c.limits.retrieve({ limit_id: "lim_1" }, { headers: { Prefer: "code=404" } }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe("category_resource_not_found");
    const partly = await c.ingest.bulk(
      { events: [0, 1, 2].map((n) => ({ category: "c", units: { text: { input: n } } })) },
      { headers: { Prefer: "example=partly-refused" } },
    );
    expect(partly.errors).toEqual([expect.objectContaining({ item_index: 2 })]);
  });

  it("a request without the API key is answered 401, one to no operation 404", async () => {
    const { url, init } = wireRequest("http://mock.invalid", operations["limits.list"], {});
    const res = await mock.fetch(url, { ...init, headers: {} });
    expect(res.status).toBe(401);
    expect(
      (await mock.fetch("http://mock.invalid/api/v1/nothing", { headers: { "xProxy-api-key": "k" } })).status,
    ).toBe(404);
  });
});

describe("refusals", () => {
  const mock = createMockPayi();

  it("a request the document does not allow gets the 422 with the violations, named in the SDK's error", async () => {
    const err = await asyncClient(mock)
      .limits.create({ limit_name: "monthly-budget", max: 500 }, { body: { max: "lots" }, query: {} })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect(err.message).toMatch(/^422 refused by the mock: .*max.*expected number, received string/);
    expect(err.violations).toEqual([expect.objectContaining({ location: ["request", "body", "max"] })]);
    expect(mock.requests.at(-1)?.violations).toEqual(err.violations);
  });

  it("by wire name: a missing required field, a query parameter and a header of the wrong type", async () => {
    const send = async (id: OperationId, params: Record<string, unknown>) => {
      const { url, init } = wireRequest("http://mock.invalid", operations[id], params);
      const res = await mock.fetch(url, init);
      return {
        status: res.status,
        violations: JSON.parse(res.headers.get("sl-violations") ?? "[]") as { location: string[] }[],
      };
    };
    expect(await send("limits.create", { limit_name: "x" })).toMatchObject({
      status: 422,
      violations: [{ location: ["request", "body", "max"] }],
    });
    expect(await send("limits.list", { sort_ascending: "sometimes" })).toMatchObject({
      status: 422,
      violations: [{ location: ["request", "query", "sort_ascending"] }],
    });
    expect(await send("ingest.units", { category: "c", units: {}, use_case_version: "three" })).toMatchObject({
      status: 422,
      violations: [{ location: ["request", "header", "xproxy-usecase-version"] }],
    });
    expect(await send("ingest.bulk", { events: [{ units: {} }] })).toMatchObject({
      status: 422,
      violations: [{ location: ["request", "body", "0", "category"] }],
    });
  });

  it("takes what the Python SDK sends: limit=0 and the logging header as True/False", async () => {
    for (const [id, params] of [
      ["limits.list", { limit: 0 }],
      ["ingest.units", { category: "c", units: {}, disable_logging: "True" }],
      ["ingest.units", { category: "c", units: {}, disable_logging: "False" }],
    ] as const) {
      const { url, init } = wireRequest("http://mock.invalid", operations[id], params);
      expect((await mock.fetch(url, init)).status).toBe(200);
    }
  });
});

describe("what it received", () => {
  it("mock.events: events from units (header params folded in), bulk, the queue and backfill alike", async () => {
    const mock = createMockPayi();
    const c = asyncClient(mock);
    await c.ingest.units({
      category: "system.openai",
      resource: "gpt-4o",
      units: { text: { input: 10, output: 50 } },
      user_id: "u1",
      limit_ids: ["budget", "daily"],
      use_case_version: 3,
      disable_logging: true,
      event_timestamp: new Date("2025-01-15T10:30:00Z"),
    });
    await c.ingest.bulk({
      events: [{ category: "c", units: { text: { input: 1 } }, scope: "global", limit_ids: ["b"] }],
    });
    const queue = c.ingest.queue({ flushAt: 10 });
    await queue.enqueue({ category: "q", units: { text: { input: 2 } }, user_id: "u2" });
    await queue.shutdown({ timeoutMs: 5000 });
    await c.ingest.backfill([{ category: "h", units: { text: { input: 3 } } }]);
    expect(mock.events).toEqual([
      {
        category: "system.openai",
        resource: "gpt-4o",
        units: { text: { input: 10, output: 50 } },
        user_id: "u1",
        limit_ids: ["budget", "daily"],
        use_case_version: 3,
        disable_logging: true,
        event_timestamp: "2025-01-15T10:30:00.000Z",
      },
      { category: "c", units: { text: { input: 1 } }, resource_scope: "global", limit_ids: ["b"] },
      { category: "q", units: { text: { input: 2 } }, user_id: "u2" },
      { category: "h", units: { text: { input: 3 } } },
    ]);
    expect(mock.requests.map((r) => r.operation)).toEqual([
      "ingest.units",
      "ingest.bulk",
      "ingest.bulk",
      "ingest.bulk",
    ]);
    expect(mock.requests[0].headers.get("xProxy-User-ID")).toBe("u1");
    expect(mock.requests[0].params).toMatchObject({ user_id: "u1", limit_ids: ["budget", "daily"] });
  });

  it("refused requests and events a named example refuses are not counted as ingested", async () => {
    const mock = createMockPayi();
    const c = asyncClient(mock);
    await c.ingest.units({ category: "c", units: {} }, { body: { http_status_code: "ok" } }).catch(() => undefined);
    await c.ingest.bulk(
      { events: [0, 1, 2].map((n) => ({ category: "c", units: { text: { input: n } } })) },
      { headers: { Prefer: "example=partly-refused" } },
    );
    expect(mock.events.map((e) => e.units.text?.input)).toEqual([0, 1]);
    mock.reset();
    expect([mock.events.length, mock.requests.length]).toEqual([0, 0]);
  });
});

describe("failures on demand", () => {
  it("status, a number of times: the client's retries see them, then the example", async () => {
    const mock = createMockPayi();
    mock.fail("ingest.bulk", { status: 503, times: 2, headers: { "retry-after-ms": "0" } });
    const r = await asyncClient(mock, { maxRetries: 2 }).ingest.bulk({ events: [{ category: "c", units: {} }] });
    expect(r.request_id).toBe("req_bulk_01");
    expect(mock.requests.map((q) => q.answer)).toEqual([503, 503, 200]);
    expect(mock.events).toHaveLength(1);
  });

  it("without times, every call until reset; a body and headers of one's own", async () => {
    const mock = createMockPayi();
    mock.fail("limits.list", {
      status: 500,
      body: { message: "down for maintenance", statusCode: 500 },
      headers: { "x-should-retry": "false" },
    });
    const c = asyncClient(mock, { maxRetries: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await c.limits.list().catch((e) => e);
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err.message).toMatch(/down for maintenance/);
    }
    expect(mock.requests).toHaveLength(2);
    mock.reset();
    expect((await c.limits.list()).items.length).toBeGreaterThan(0);
  });

  it("a hang ends with the client's timeout; a reset is a connection error", async () => {
    const mock = createMockPayi();
    mock.fail("limits.retrieve", { hang: true, times: 1 });
    expect(
      await asyncClient(mock, { timeout: 200 })
        .limits.retrieve({ limit_id: "l" })
        .catch((e) => e),
    ).toBeInstanceOf(APITimeoutError);
    mock.fail("limits.retrieve", { reset: true, times: 1 });
    const err = await asyncClient(mock)
      .limits.retrieve({ limit_id: "l" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APITimeoutError);
    expect(mock.requests.map((q) => q.answer)).toEqual(["hang", "reset"]);
  });

  it("mock.fetch given a Request: a hang ends when its signal aborts", async () => {
    const mock = createMockPayi();
    mock.fail("limits.list", { hang: true });
    const abort = new AbortController();
    const pending = mock
      .fetch(
        new Request("http://payi.mock/api/v1/limits", { headers: { "xProxy-api-key": "k" }, signal: abort.signal }),
      )
      .catch((e) => e);
    abort.abort(new Error("given up"));
    expect(await pending).toMatchObject({ message: "given up" });
  });

  it("refuses a failure it cannot act on", () => {
    const mock = createMockPayi();
    expect(() => mock.fail("ingest.nothing" as OperationId, { status: 500 })).toThrow(
      /no operation named "ingest.nothing"/,
    );
    expect(() => mock.fail("ingest.bulk", {})).toThrow(/one of status, hang or reset/);
    expect(() => mock.fail("ingest.bulk", { status: 200 })).toThrow(/400 to 599/);
    expect(() => mock.fail("ingest.bulk", { status: 503, times: 0 })).toThrow(/positive integer/);
  });
});

describe("Payi, through the port", () => {
  const mock = createMockPayi();
  afterAll(() => mock.close());

  it("answers, records synchronously, and fails on demand", async () => {
    const { url } = await mock.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sync = new Payi({ apiKey: "mock-test-key", baseURL: url, maxRetries: 0, logLevel: "off" });
    const r = sync.ingest.units({
      category: "system.openai",
      units: { text: { input: 1 } },
      user_id: "u9",
      limit_ids: ["b"],
    });
    expect(r.request_id).toBe("req_5f0c6a1e9b2d4c7a");
    expect(mock.events).toEqual([
      { category: "system.openai", units: { text: { input: 1 } }, user_id: "u9", limit_ids: ["b"] },
    ]);
    mock.fail("limits.retrieve", { status: 429, times: 1, headers: { "retry-after": "0" } });
    expect(() => sync.limits.retrieve({ limit_id: "l" })).toThrow(/429/);
    expect(sync.limits.retrieve({ limit_id: "l" }).limit.limit_id).toBe("lim_7d3f2a9c");
    mock.fail("limits.list", { reset: true, times: 1 });
    expect(() => sync.limits.list()).toThrow(APIConnectionError);
    let refused: unknown;
    try {
      sync.limits.create({ limit_name: "x", max: 1 }, { body: { max: "lots" } });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(UnprocessableEntityError);
    expect((refused as UnprocessableEntityError).violations?.[0].location).toEqual(["request", "body", "max"]);
    expect(mock.requests.map((q) => q.answer)).toEqual([200, 429, 200, "reset", 422]);
  });

  it("AsyncPayi through the port too, and a hanging request is let go on close", async () => {
    const { url } = await mock.listen();
    const c = new AsyncPayi({ apiKey: "mock-test-key", baseURL: url, maxRetries: 0, logLevel: "off" });
    expect((await c.limits.retrieve({ limit_id: "l" })).limit.limit_id).toBe("lim_7d3f2a9c");
    mock.fail("limits.list", { hang: true });
    const pending = c.limits.list().catch((e) => e);
    await expect.poll(() => mock.requests.at(-1)?.answer).toBe("hang");
    await mock.close();
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});
