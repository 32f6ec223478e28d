// Bad input is refused before it leaves the process, with every offending field named.
import http from "node:http";
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiError, PayiValidationError } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";

let server: http.Server;
let received = 0;
let client: AsyncPayi;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    req.resume();
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new AsyncPayi({
    apiKey: "test-key-validation",
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxRetries: 0,
  });
});
afterAll(() => new Promise((r) => server.close(r)));

function method(id: OperationId): (params: unknown) => Promise<unknown> {
  const fn = id.split(".").reduce((node: any, part) => node[part], client);
  return (params) => fn(params);
}

/** `codes`: the issue's code where the SDK's own checks (not the spec's) refuse the value. */
const cases: {
  kind: string;
  id: OperationId;
  params: unknown;
  paths: Record<string, RegExp>;
  codes?: Record<string, string>;
}[] = [
  { kind: "create", id: "limits.create", params: { max: 10 }, paths: { limit_name: /required/ } },
  {
    kind: "create",
    id: "limits.create",
    params: { limit_name: "b", max: "10" },
    paths: { max: /expected number, received string/ },
  },
  {
    kind: "create",
    id: "limits.create",
    params: { limit_name: "b", max: 10, limit_type: "soft" },
    paths: { limit_type: /block.*allow/ },
  },
  {
    kind: "create",
    id: "limits.create",
    params: { limit_name: "b", max: 10, maxx: 1 },
    paths: { maxx: /unknown field/ },
  },
  {
    kind: "create",
    id: "categories.resources.create",
    params: { category: "vector-db", resource: "q", units: { text: { input_price: "free" } }, max_input_units: 1.5 },
    paths: { "units.text.input_price": /number/, max_input_units: /int/ },
  },
  {
    kind: "create",
    id: "useCases.definitions.kpis.create",
    params: { use_case_name: "chat", name: "k", description: "d", goal: 1, kpi_type: "stars" },
    paths: { kpi_type: /likert/ },
  },
  { kind: "update", id: "limits.update", params: { limit_id: "", max: 1 }, paths: { limit_id: /1 character|>=1/ } },
  { kind: "update", id: "limits.update", params: { limit_id: 42 }, paths: { limit_id: /string/ } },
  {
    kind: "update",
    id: "limits.update",
    params: { limit_id: "..", max: 1 },
    paths: { limit_id: /^cannot be "\.\.": it would address another endpoint$/ },
    codes: { limit_id: "invalid_path_segment" },
  },
  {
    kind: "update",
    id: "limits.update",
    params: { limit_id: ".", max: 1 },
    paths: { limit_id: /^cannot be "\.": it would address another endpoint$/ },
    codes: { limit_id: "invalid_path_segment" },
  },
  {
    kind: "update",
    id: "limits.properties.update",
    params: { limit_id: "l", properties: { a: 1 } },
    paths: { "properties.a": /./ },
  },
  { kind: "list", id: "limits.list", params: { limit: "20" }, paths: { limit: /expected integer, received string/ } },
  { kind: "list", id: "limits.list", params: { limit: 2.5 }, paths: { limit: /int/ } },
  { kind: "list", id: "categories.list", params: { Active: true }, paths: { Active: /unknown field/ } },
  { kind: "list", id: "categories.listResources", params: {}, paths: { category: /required/ } },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: "system.openai", units: { text: { input: "10" } } },
    paths: { "units.text.input": /^expected integer, received string$/ },
  },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: 5, units: {}, limit_ids: "a,b", use_case_version: "3", disable_logging: "yes" },
    paths: {
      category: /expected string, received number$/,
      limit_ids: /array/,
      use_case_version: /expected integer, received string/,
      disable_logging: /expected boolean, received string/,
    },
  },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: "c", units: {}, event_timestamp: "yesterday" },
    paths: { event_timestamp: /datetime|date/i },
  },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: "c", units: {}, event_timestamp: new Date("nope") },
    paths: { event_timestamp: /^invalid Date$/ },
    codes: { event_timestamp: "invalid_date" },
  },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: "c", units: {}, request_tags: ["t"] },
    paths: { request_tags: /unknown field/ },
  },
  {
    kind: "ingest",
    id: "ingest.units",
    params: { category: "c", units: {}, user_id: "名前", limit_ids: ["ok", "a\nb"] },
    paths: {
      user_id: /^is sent as the header xProxy-User-ID, which holds printable ASCII only$/,
      limit_ids: /^is sent as the header xProxy-Limit-IDs, which holds printable ASCII only$/,
    },
    codes: { user_id: "invalid_header_value", limit_ids: "invalid_header_value" },
  },
  { kind: "bulk", id: "ingest.bulk", params: { events: null }, paths: { events: /array/ } },
  {
    kind: "bulk",
    id: "ingest.bulk",
    params: {
      events: [{ category: "c", units: {} }, { units: {} }, { category: "c", units: { text: { output: -0.5 } } }],
    },
    paths: { "events.1.category": /required/, "events.2.units.text.output": /int/ },
  },
  { kind: "bulk", id: "ingest.bulk", params: { events: { category: "c", units: {} } }, paths: { events: /array/ } },
];

const cycle: Record<string, unknown> = { name: "loop" };
cycle.self = cycle;
const withOwnConstructor = Object.assign(["lim_a", "lim_b"], { constructor: 5 });
const throwing = Object.defineProperty({ category: "c", units: {} }, "resource", {
  enumerable: true,
  get: () => {
    throw new Error("boom");
  },
});

// What JSON, a URL or the user's own getters cannot give: refused by path like any other bad value.
cases.push(
  {
    kind: "url",
    id: "limits.retrieve",
    params: { limit_id: "lim_\uD800" },
    paths: { limit_id: /^holds a lone UTF-16 surrogate, which a URL cannot carry$/ },
    codes: { limit_id: "invalid_string" },
  },
  {
    kind: "url",
    id: "limits.list",
    params: { limit_name: "a\uDC00b" },
    paths: { limit_name: /^holds a lone UTF-16 surrogate, which a URL cannot carry$/ },
    codes: { limit_name: "invalid_string" },
  },
  {
    kind: "json",
    id: "ingest.units",
    params: { category: "c", units: { text: { input: 10n } } },
    paths: { "units.text.input": /^a bigint cannot be sent as JSON$/ },
    codes: { "units.text.input": "not_json" },
  },
  {
    kind: "json",
    id: "limits.properties.update",
    params: { limit_id: "l", properties: { team: cycle } },
    paths: { "properties.team.self": /^refers to an object that contains it \(a cycle\)$/ },
    codes: { "properties.team.self": "not_json" },
  },
  {
    kind: "json",
    id: "ingest.units",
    params: { category: "c", units: { text: { input: Number.POSITIVE_INFINITY } } },
    paths: { "units.text.input": /^Infinity cannot be sent as JSON$/ },
    codes: { "units.text.input": "not_json" },
  },
  {
    kind: "json",
    id: "ingest.units",
    params: { category: "c", units: { text: { input: Number.NaN, output: Number.NEGATIVE_INFINITY } } },
    paths: { "units.text.input": /^NaN cannot be sent as JSON$/, "units.text.output": /^-Infinity cannot be sent/ },
    codes: { "units.text.input": "not_json", "units.text.output": "not_json" },
  },
  {
    kind: "json",
    id: "limits.properties.update",
    params: { limit_id: "l", properties: { s: Symbol("team"), f: () => "team" } },
    paths: {
      "properties.s": /^a symbol cannot be sent as JSON$/,
      "properties.f": /^a function cannot be sent as JSON$/,
    },
    codes: { "properties.s": "not_json", "properties.f": "not_json" },
  },
  {
    kind: "json",
    id: "limits.create",
    params: { limit_name: "b", max: 1, properties: new Map([["team", "x"]]) },
    paths: { properties: /^must be plain data, got Map$/ },
    codes: { properties: "not_json" },
  },
  {
    kind: "json",
    id: "limits.create",
    // An object made from a bare template: no class to name.
    params: { limit_name: "b", max: 1, properties: Object.create(Object.create(null)) },
    paths: { properties: /^must be plain data, got an object$/ },
    codes: { properties: "not_json" },
  },
  {
    kind: "getter",
    id: "ingest.units",
    params: throwing,
    paths: { resource: /^could not be read: its getter threw$/ },
    codes: { resource: "unreadable" },
  },
  {
    kind: "getter",
    id: "limits.properties.update",
    params: { limit_id: "l", properties: { team: throwing } },
    paths: { "properties.team.resource": /^could not be read: its getter threw$/ },
    codes: { "properties.team.resource": "unreadable" },
  },
  {
    kind: "getter",
    id: "limits.properties.update",
    // A Proxy whose keys cannot be listed.
    params: {
      limit_id: "l",
      properties: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error("no keys");
          },
        },
      ),
    },
    paths: { properties: /^could not be read$/ },
    codes: { properties: "unreadable" },
  },
);

describe("params validation", () => {
  for (const c of cases) {
    it(`${c.kind}: client.${c.id} refuses ${inspect(c.params, { depth: 4, breakLength: Infinity })}`, async () => {
      const before = received;
      // util.inspect reads no getter: a snapshot of the params as the user built them.
      const snapshot = inspect(c.params, { depth: Infinity });
      const err = await method(c.id)(c.params).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PayiValidationError);
      expect(err).toBeInstanceOf(PayiError);
      const issues = (err as PayiValidationError).issues;
      for (const [path, message] of Object.entries(c.paths)) {
        const issue = issues.find((i) => i.path === path);
        expect(issue, `an issue at ${path} in ${JSON.stringify(issues)}`).toBeDefined();
        expect(issue!.message).toMatch(message);
        if (c.codes?.[path]) expect(issue!.code).toBe(c.codes[path]);
        expect((err as Error).message).toContain(`${path}: `);
      }
      expect(received - before).toBe(0);
      expect(inspect(c.params, { depth: Infinity })).toBe(snapshot);
    });
  }

  it("refuses params that are not an object", async () => {
    await expect(method("limits.retrieve")("lim_1")).rejects.toThrow(/params must be an object/);
    await expect(method("limits.list")([])).rejects.toBeInstanceOf(PayiValidationError);
  });

  it("sends valid values as given, apart from the documented conversions, and leaves the user's object alone", async () => {
    const seen: { url?: string; body?: string; headers?: http.IncomingHttpHeaders } = {};
    const echo = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        Object.assign(seen, { url: req.url, body, headers: req.headers });
        res.setHeader("content-type", "application/json");
        res.end("{}");
      });
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    try {
      const c = client.withOptions({ baseURL: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` });
      const when = new Date("2025-01-15T10:30:00.000Z");
      const params = {
        category: "system.openai",
        units: { text: { input: 10, output: 50 } },
        event_timestamp: when,
        properties: { attempt: 2, cached: false, note: "x", gone: null } as Record<
          string,
          string | number | boolean | null
        >,
        provider_response_json: ["a", "b"],
        use_case_version: 3,
        disable_logging: false,
      };
      await c.ingest.units(params);
      expect(JSON.parse(seen.body!)).toEqual({
        category: "system.openai",
        units: { text: { input: 10, output: 50 } },
        event_timestamp: "2025-01-15T10:30:00.000Z",
        properties: { attempt: "2", cached: "false", note: "x", gone: null },
        provider_response_json: ["a", "b"],
      });
      expect(seen.headers!["xproxy-usecase-version"]).toBe("3");
      expect(seen.headers!["xproxy-logging-disable"]).toBe("false");
      expect(params.event_timestamp).toBe(when);
      expect(params.properties.attempt).toBe(2);
    } finally {
      await new Promise((r) => echo.close(r));
    }
  });

  it("takes params built with a null prototype, Dates inside converted, and changes none of them", async () => {
    const seen: string[] = [];
    const echo = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(body);
        res.setHeader("content-type", "application/json");
        res.end("{}");
      });
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    try {
      const c = client.withOptions({ baseURL: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` });
      const bare = <T extends object>(o: T): T => Object.assign(Object.create(null), o);
      const when = new Date("2025-01-15T10:30:00.000Z");
      const properties = bare({ n: 1, ok: true });
      const params = bare({
        category: "c",
        units: bare({ text: bare({ input: 5 }) }),
        event_timestamp: when,
        properties,
        limit_ids: withOwnConstructor,
      });
      await c.ingest.units(params as never);
      expect(JSON.parse(seen[0])).toEqual({
        category: "c",
        units: { text: { input: 5 } },
        event_timestamp: "2025-01-15T10:30:00.000Z",
        properties: { n: "1", ok: "true" },
      });
      expect([params.event_timestamp, properties.n, properties.ok, withOwnConstructor.constructor]).toEqual([
        when,
        1,
        true,
        5,
      ]);
    } finally {
      await new Promise((r) => echo.close(r));
    }
  });

  it("refuses per-call extras that cannot be sent: a lone surrogate in options.query, a BigInt or cycle in options.body", async () => {
    const before = received;
    const run = (options: object) =>
      client.ingest.units({ category: "c", units: {} }, options).catch((e: unknown) => e);
    const query = (await run({ query: { trace: "x\uD800" } })) as PayiValidationError;
    const body = (await run({ body: { extra: { n: 1n, loop: cycle } } })) as PayiValidationError;
    expect(query).toBeInstanceOf(PayiValidationError);
    expect(query.issues.map((i) => i.path)).toEqual(["options.query.trace"]);
    expect(body).toBeInstanceOf(PayiValidationError);
    expect(body.issues.map((i) => i.path)).toEqual(["options.body.extra.n", "options.body.extra.loop.self"]);
    expect(received - before).toBe(0);
  });
});
