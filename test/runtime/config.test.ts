// Client options and the environment, checked by what the server receives.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AsyncPayi,
  InternalServerError,
  Payi,
  PayiError,
  PayiValidationError,
  type ClientOptions,
  type Logger,
} from "../../src/index.js";
import { errorBody, event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";
import { leaks } from "../helpers/secret-scan.js";

const KEY = "test-key-config";
const ENV = ["PAYI_API_KEY", "PAYI_BASE_URL", "PAYI_CUSTOM_HEADERS", "PAYI_LOG"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
const client = (o: ClientOptions = {}) =>
  new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });
const ok = () => server.handle((_r, res) => json(res, 200, ingestOk));
const capture = () => {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } satisfies Logger };
};

describe("the API key", () => {
  it.each([undefined, "", "   "])("missing (PAYI_API_KEY=%j) is a PayiError naming both ways to set it", (env) => {
    if (env === undefined) delete process.env.PAYI_API_KEY;
    else process.env.PAYI_API_KEY = env;
    let err: unknown;
    try {
      new AsyncPayi({ baseURL: server.url });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PayiError);
    expect((err as Error).message).toContain("apiKey");
    expect((err as Error).message).toContain("PAYI_API_KEY");
  });

  it.each([
    ["a trailing newline (read from a file)", "sk-file-secret-4242\n"],
    ["CR LF and a header after it", "sk-inject-secret-4242\r\nX-Evil: 1"],
    ["a NUL", "sk-nul-secret\u00004242"],
    ["a character above U+00FF", "sk-ключ-secret-4242"],
    ["leading whitespace", " sk-space-secret-4242"],
  ])("holding %s is refused at construction, by both clients, without quoting it", (_what, key) => {
    for (const make of [
      () => new AsyncPayi({ apiKey: key, baseURL: server.url }),
      () => new Payi({ apiKey: key, baseURL: server.url }),
    ]) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PayiValidationError);
      expect((err as PayiValidationError).issues.map((i) => i.path)).toEqual(["apiKey"]);
      expect((err as Error).message).toMatch(/apiKey: .*(header|whitespace)/);
      // Neither the key nor the part of it that a header would have carried.
      expect(leaks(err, key)).toEqual([]);
      expect(leaks(err, "secret")).toEqual([]);
    }
    process.env.PAYI_API_KEY = "sk-env-secret\r\nX-Evil: 1";
    expect(() => new AsyncPayi({ baseURL: server.url })).toThrow(
      /PAYI_API_KEY: holds a character no HTTP header can carry/,
    );
  });

  it("is sent as xProxy-api-key on every request: lists, bodies, arrays, retries", async () => {
    server.handle((r, res, n) =>
      r.url.startsWith("/api/v1/limits?")
        ? json(res, 200, { items: [], cursor: null })
        : n === 3
          ? json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" })
          : json(res, 200, ingestOk),
    );
    const c = client({ maxRetries: 1 });
    await c.limits.list({ limit: 10 });
    await c.ingest.bulk({ events: [event] });
    await c.ingest.units(event);
    await c.limits.reset({ limit_id: "lim_1" });
    expect(server.received.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
      "GET /api/v1/limits",
      "POST /api/v1/ingest/bulk",
      "POST /api/v1/ingest",
      "POST /api/v1/ingest",
      "POST /api/v1/limits/lim_1/reset",
    ]);
    expect(server.received.map((r) => r.headers["xproxy-api-key"])).toEqual(Array(5).fill(KEY));
  });

  it("can be replaced for one request, whatever the header's case, but not removed with null", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const c = client({ defaultHeaders: { "XPROXY-API-KEY": null } });
    await c.ingest.units(event, { headers: { "xproxy-API-key": "one-off-key" } });
    await c.ingest.units(event, { headers: { "xProxy-api-key": null } });
    await c.ingest.units(event);
    expect(server.received.map((r) => r.headers["xproxy-api-key"])).toEqual(["one-off-key", KEY, KEY]);
  });
});

describe("the environment", () => {
  it("PAYI_API_KEY, PAYI_BASE_URL and PAYI_CUSTOM_HEADERS fill in what is not given", async () => {
    ok();
    process.env.PAYI_API_KEY = "env-key";
    process.env.PAYI_BASE_URL = `${server.url}/`;
    process.env.PAYI_CUSTOM_HEADERS = "X-Internal-Service: BillingProcessor\r\nX-Request-Source: BatchJob\n";
    const c = new AsyncPayi({ maxRetries: 0, logLevel: "off" });
    expect(c.baseURL).toBe(server.url);
    await c.ingest.units(event);
    expect(server.received).toHaveLength(1);
    expect(server.received[0].headers).toMatchObject({
      "xproxy-api-key": "env-key",
      "x-internal-service": "BillingProcessor",
      "x-request-source": "BatchJob",
    });
  });

  it("options given win over the environment", async () => {
    ok();
    process.env.PAYI_API_KEY = "env-key";
    process.env.PAYI_BASE_URL = "http://127.0.0.1:9"; // would refuse the connection
    process.env.PAYI_CUSTOM_HEADERS = "X-Team: from-env";
    await new AsyncPayi({
      apiKey: KEY,
      baseURL: server.url,
      maxRetries: 0,
      logLevel: "off",
      defaultHeaders: { "x-team": "from-options" },
    }).ingest.units(event);
    expect(server.received[0].headers["xproxy-api-key"]).toBe(KEY);
    expect(server.received[0].headers["x-team"]).toBe("from-options");
  });

  it("PAYI_LOG sets the level unless logLevel is given; an unknown level is refused by name", async () => {
    ok();
    process.env.PAYI_LOG = "debug";
    const debug = capture();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logger: debug.logger }).ingest.units(event);
    expect(debug.lines.some((l) => l.includes("POST /api/v1/ingest"))).toBe(true);

    const overridden = capture();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logger: overridden.logger, logLevel: "warn" }).ingest.units(
      event,
    );
    expect(overridden.lines).toEqual([]);

    process.env.PAYI_LOG = "chatty";
    expect(() => new AsyncPayi({ apiKey: KEY, baseURL: server.url })).toThrow(/PAYI_LOG.*chatty/);
  });
});

describe("headers, query and body", () => {
  it("defaultHeaders go with every request; null removes one, even one PAYI_CUSTOM_HEADERS gave", async () => {
    ok();
    process.env.PAYI_CUSTOM_HEADERS = "X-Env-One: 1\nX-Env-Two: 2";
    const c = client({ defaultHeaders: { "X-Team": "search", "x-env-two": null } });
    await c.ingest.units(event);
    await c.limits.reset({ limit_id: "lim_1" });
    for (const r of server.received) {
      expect(r.headers["x-team"]).toBe("search");
      expect(r.headers["x-env-one"]).toBe("1");
      expect(r.headers["x-env-two"]).toBeUndefined();
    }
    expect(server.received).toHaveLength(2);
  });

  it.each<[string, ClientOptions["defaultHeaders"], string | undefined, RegExp]>([
    ["a name that is not a token", { "X Team": "a" }, undefined, /defaultHeaders\.X Team: is not a valid header name/],
    [
      "a value with a line break",
      { "X-Team": "a\r\nX-Evil: 1" },
      undefined,
      /defaultHeaders\.X-Team: holds a character no HTTP header can carry \(a line break.*\) at position 1/,
    ],
    [
      "a value that is not a string",
      { "X-Count": 3 as unknown as string },
      undefined,
      /defaultHeaders\.X-Count: must be a string/,
    ],
    [
      "a PAYI_CUSTOM_HEADERS line that is not Name: value",
      undefined,
      "X-Ok: 1\nnonsense",
      /PAYI_CUSTOM_HEADERS: has a line that is not "Name: value"/,
    ],
    [
      "a PAYI_CUSTOM_HEADERS name that is not a token",
      undefined,
      "X(Bad): 1",
      /PAYI_CUSTOM_HEADERS\.X\(Bad\): is not a valid header name/,
    ],
    [
      "a PAYI_CUSTOM_HEADERS value above U+00FF",
      undefined,
      "X-Who: 名前",
      /PAYI_CUSTOM_HEADERS\.X-Who: holds a character no HTTP header can carry/,
    ],
  ])(
    "bad headers are refused at construction, naming where they came from: %s",
    async (_what, defaultHeaders, env, message) => {
      ok();
      if (env !== undefined) process.env.PAYI_CUSTOM_HEADERS = env;
      expect(() => client({ defaultHeaders })).toThrow(PayiValidationError);
      expect(() => client({ defaultHeaders })).toThrow(message);
      expect(server.received).toHaveLength(0);
    },
  );

  it("a defaultQuery value a URL cannot carry (a lone surrogate) is refused at construction", () => {
    expect(() => client({ defaultQuery: { tenant: "acme\uD800" } })).toThrow(PayiValidationError);
    expect(() => client({ defaultQuery: { tenant: "acme\uD800" } })).toThrow(
      /defaultQuery\.tenant: holds a lone UTF-16 surrogate/,
    );
  });

  it("bad per-request headers are a PayiValidationError naming them, and nothing is sent", async () => {
    ok();
    const err = await client()
      .ingest.units(event, { headers: { "X-Trace": "a\nb", "Bad Name": "x" } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual([
      "options.headers.X-Trace",
      "options.headers.Bad Name",
    ]);
    expect(server.received).toHaveLength(0);
  });

  it("per-request headers replace a default whatever its case, and null removes one", async () => {
    ok();
    const c = client({ defaultHeaders: { "X-Team": "search", "X-Drop": "me" } });
    await c.ingest.units(event, { headers: { "x-team": "ads", "X-Drop": null, "X-Call": "1" } });
    const h = server.received[0].headers;
    expect([h["x-team"], h["x-drop"], h["x-call"]]).toEqual(["ads", undefined, "1"]);
    // undefined is no value: the default stays.
    await c.ingest.units(event, { headers: { "X-Team": undefined } });
    expect(server.received[1].headers["x-team"]).toBe("search");
  });

  it("defaultQuery and per-request query are appended; per-request body properties are merged into the body", async () => {
    ok();
    const c = client({ defaultQuery: { tenant: "acme", region: "eu" } });
    await c.ingest.units(event, { query: { trace: "on", region: "us" }, body: { extra_field: 42 } });
    await c.limits.list({ limit: 5 });
    const [units, list] = server.received;
    const q = new URL(units.url, server.url).searchParams;
    expect(new URL(units.url, server.url).pathname).toBe("/api/v1/ingest");
    expect([q.get("tenant"), q.getAll("region"), q.get("trace")]).toEqual(["acme", ["us"], "on"]);
    expect(JSON.parse(units.body)).toEqual({ ...event, extra_field: 42 });
    expect(Object.fromEntries(new URL(list.url, server.url).searchParams)).toEqual({
      tenant: "acme",
      region: "eu",
      limit: "5",
    });
  });
});

describe("withOptions", () => {
  it("changes what it is given and keeps the rest, leaving the original as it was", async () => {
    const base = client({ defaultHeaders: { "X-Team": "search" }, defaultQuery: { tenant: "acme" } });
    const louder = base.withOptions({ defaultHeaders: { "X-Team": "ads" } });
    const patient = base.withOptions({ maxRetries: 2 });
    expect([louder.baseURL, patient.baseURL]).toEqual([server.url, server.url]);

    server.handle((_r, res) => json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }));
    await expect(louder.ingest.units(event)).rejects.toBeInstanceOf(InternalServerError);
    // maxRetries 0 was kept: one request.
    expect(server.received).toHaveLength(1);
    expect(server.received[0].headers).toMatchObject({ "x-team": "ads", "xproxy-api-key": KEY });
    expect(server.received[0].url).toBe("/api/v1/ingest?tenant=acme");

    server.handle((_r, res) => json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }));
    await expect(patient.ingest.units(event)).rejects.toBeInstanceOf(InternalServerError);
    expect(server.received).toHaveLength(3);
    expect(
      server.received.every((r) => r.headers["x-team"] === "search" && r.url === "/api/v1/ingest?tenant=acme"),
    ).toBe(true);

    server.handle((_r, res) => json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }));
    await expect(base.ingest.units(event)).rejects.toBeInstanceOf(InternalServerError);
    expect(server.received).toHaveLength(1);
    expect(server.received[0].headers["x-team"]).toBe("search");
  });

  it("can move the client to another server and key", async () => {
    const other = await startServer((_r, res) => json(res, 200, ingestOk));
    try {
      ok();
      await client().withOptions({ baseURL: other.url, apiKey: "other-key" }).ingest.units(event);
      expect(server.received).toHaveLength(0);
      expect(other.received.map((r) => r.headers["xproxy-api-key"])).toEqual(["other-key"]);
    } finally {
      await other.close();
    }
  });
});
