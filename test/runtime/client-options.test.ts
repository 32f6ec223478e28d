// Client options refused at construction, each by name and with what was given; the
// defaults of what is not given.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { AsyncPayi, PayiError, PayiValidationError, Timeout, type ClientOptions } from "../../src/index.js";
import { errorBody, event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

const ENV = ["PAYI_API_KEY", "PAYI_BASE_URL", "PAYI_CUSTOM_HEADERS", "PAYI_LOG"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let server: TestServer;
beforeEach(async () => {
  for (const k of ENV) delete process.env[k];
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(async () => {
  await server.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
const make = (o: ClientOptions) => () => new AsyncPayi({ apiKey: "k-options", baseURL: server.url, ...o });
/** The error constructing a client with these options throws. */
const refusal = (o: ClientOptions): Error => {
  try {
    make(o)();
  } catch (e) {
    return e as Error;
  }
  throw new Error("the client was made");
};

describe("client options", () => {
  it("baseURL loses its trailing slashes; one that is no absolute URL is refused, quoted", async () => {
    const c = new AsyncPayi({ apiKey: "k-options", baseURL: `${server.url}///`, logLevel: "off" });
    expect(c.baseURL).toBe(server.url);
    await c.ingest.units(event);
    expect(server.received[0].url).toBe("/api/v1/ingest");
    const err = refusal({ baseURL: "api.pay-i.com" });
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toBe('baseURL is not an absolute URL: "api.pay-i.com"');
  });

  it("maxRetries must be a whole number, 0 or more", () => {
    for (const n of [-1, 1.5, Number.NaN])
      expect(refusal({ maxRetries: n }).message).toBe(`maxRetries must be a non-negative integer, got ${n}`);
    expect(make({ maxRetries: 0 })).not.toThrow();
  });

  it("maxResponseSize must be a positive number of bytes", () => {
    for (const n of [-1, Number.NaN])
      expect(refusal({ maxResponseSize: n }).message).toBe(
        `maxResponseSize must be a positive number of bytes, got ${n}`,
      );
    expect(make({ maxResponseSize: 1 })).not.toThrow();
  });

  it("an apiKey that is no string is refused by name", () => {
    const err = refusal({ apiKey: 4242 as never });
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe("Invalid options for the client: apiKey: must be a string");
  });

  it("PAYI_CUSTOM_HEADERS takes Name: value lines, blank ones skipped; any other line is refused", async () => {
    process.env.PAYI_CUSTOM_HEADERS = "\n X-Origin :https://app.example/a:b \r\n\r\nX-Empty:\n";
    await new AsyncPayi({ apiKey: "k-options", baseURL: server.url, logLevel: "off" }).ingest.units(event);
    expect(server.received[0].headers).toMatchObject({ "x-origin": "https://app.example/a:b", "x-empty": "" });
    for (const bad of [": no name", "X-No-Colon"]) {
      process.env.PAYI_CUSTOM_HEADERS = `X-Fine: 1\n${bad}`;
      const err = refusal({});
      expect(err).toBeInstanceOf(PayiValidationError);
      expect(err.message).toBe(
        'Invalid options for the client: PAYI_CUSTOM_HEADERS: has a line that is not "Name: value"',
      );
    }
  });

  it("a header a request cannot carry is refused by name: at the position of the bad character, or by its type", () => {
    const err = refusal({ defaultHeaders: { "X-Trace": "\nsmuggled", "X-Count": 5 as never, "X-Ok": "é" } });
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toMatch(
      /^Invalid options for the client: defaultHeaders\.X-Trace: .+ at position 0; defaultHeaders\.X-Count: must be a string, got number$/,
    );
    expect((err as PayiValidationError).issues).toEqual([
      {
        path: "defaultHeaders.X-Trace",
        message:
          "holds a character no HTTP header can carry (a line break, NUL, control character or one above U+00FF) at position 0",
        code: "invalid_header",
      },
      { path: "defaultHeaders.X-Count", message: "must be a string, got number", code: "invalid_header" },
    ]);
  });

  it("PAYI_LOG takes a level in any case; anything else is refused, naming the levels", async () => {
    const lines: string[] = [];
    const push = (m: string) => void lines.push(m);
    process.env.PAYI_LOG = "DEBUG";
    const logger = { debug: push, info: push, warn: push, error: push };
    await new AsyncPayi({ apiKey: "k-options", baseURL: server.url, logger }).ingest.units(event);
    expect(lines[0]).toBe("POST /api/v1/ingest (client.ingest.units)");
    for (const level of ["chatty", "constructor", "toString"]) {
      process.env.PAYI_LOG = level;
      expect(refusal({}).message).toBe(`PAYI_LOG must be one of debug, info, warn, error, off; got "${level}"`);
    }
  });

  it("a timeout's connect bound is 5 s, or the whole timeout when that is shorter", () => {
    expect(new Timeout({ timeout: 1_000 }).connect).toBe(1_000);
    expect(new Timeout({ timeout: 10_000 }).connect).toBe(5_000);
    expect(() => new Timeout({ timeout: "100" as never })).toThrow(
      "Invalid options for Timeout: timeout: must be a positive number of milliseconds up to 2147483647 (about 24.8 days), got 100",
    );
  });

  it("a client shows its base URL, never its key, and lists its namespaces only", () => {
    const c = new AsyncPayi({ apiKey: "k-options-secret", baseURL: server.url });
    expect(inspect(c)).toBe(`AsyncPayi { baseURL: ${JSON.stringify(server.url)} }`);
    expect(JSON.stringify(c)).toBe(JSON.stringify({ baseURL: server.url }));
    expect(Object.keys(c)).not.toContain("withRawResponse");
    expect(Object.keys(c)).not.toContain("withStreamingResponse");
    expect(Object.keys(c)).toEqual(expect.arrayContaining(["ingest", "limits", "categories"]));
  });

  it("log at warn unless told otherwise: a retry, an info line, is not logged", async () => {
    const lines: string[] = [];
    const push = (m: string) => void lines.push(m);
    server.handle((_r, res, n) =>
      n === 1 ? json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }) : json(res, 200, ingestOk),
    );
    const c = new AsyncPayi({
      apiKey: "k-options",
      baseURL: server.url,
      logger: { debug: push, info: push, warn: push, error: push },
    });
    await c.ingest.units(event);
    expect(server.received).toHaveLength(2);
    expect(lines).toEqual([]);
  });
});
