// Each status becomes its class, with what the service said; the key never appears anywhere.
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as errors from "../../src/errors/index.js";
import {
  APIError,
  APIResponseValidationError,
  AsyncPayi,
  InternalServerError,
  PayiError,
  type Logger,
} from "../../src/index.js";
import { event, json, startServer, type TestServer } from "../helpers/server.js";
import { leaks } from "../helpers/secret-scan.js";

const KEY = "sk-payi-very-secret-0123456789";
let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = (o: ConstructorParameters<typeof AsyncPayi>[0] = {}) =>
  new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });

const classes: [number, keyof typeof errors][] = [
  [400, "BadRequestError"],
  [401, "AuthenticationError"],
  [403, "PermissionDeniedError"],
  [404, "NotFoundError"],
  [409, "ConflictError"],
  [422, "UnprocessableEntityError"],
  [429, "RateLimitError"],
  [500, "InternalServerError"],
  [502, "InternalServerError"],
];

describe("errors", () => {
  it.each(classes)("%i is a %s with status, headers, body and the service's message and code", async (status, name) => {
    const body = {
      message: `Resource gpt-4o failed with ${status}`,
      statusCode: status,
      xproxy_error: { code: "category_resource_not_found", message: "x" },
    };
    server.handle((_r, res) => json(res, status, body, { "x-request-id": "req_err_1" }));
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(errors[name] as unknown as typeof APIError);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.name).toBe(name);
    expect(err.status).toBe(status);
    expect(err.headers.get("x-request-id")).toBe("req_err_1");
    expect(err.requestId).toBe("req_err_1");
    expect(err.body).toEqual(body);
    expect(err.code).toBe("category_resource_not_found");
    expect(err.message).toContain(`Resource gpt-4o failed with ${status}`);
    expect(err.message).toContain("category_resource_not_found");
  });

  it("a 5xx HTML page is an InternalServerError holding the text", async () => {
    server.handle((_r, res) => {
      res.writeHead(503, { "content-type": "text/html" });
      res.end("<html><body>Service Unavailable</body></html>");
    });
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.body).toBe("<html><body>Service Unavailable</body></html>");
    expect(err.message).toContain("Service Unavailable");
  });

  it("malformed JSON on a 200 is an APIResponseValidationError with the text", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"request_id": "req_1", ');
    });
    const err = await client({ maxRetries: 2 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.status).toBe(200);
    expect(err.message).toMatch(/not JSON/);
    expect(err.message).toContain('{"request_id": "req_1", ');
    expect(err.body).toBe('{"request_id": "req_1", ');
    // An answer that is not what was asked for is not retried.
    expect(server.received).toHaveLength(1);
  });

  it("never shows the key: not in the error, its JSON, its inspection, its headers, nor the logs", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) =>
      lines.push(args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" "));
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    server.handle((r, res) =>
      json(
        res,
        401,
        { message: `Invalid API key ${r.headers["xproxy-api-key"]}`, statusCode: 401 },
        { "xproxy-api-key": String(r.headers["xproxy-api-key"]), "x-echo": `key=${r.headers["xproxy-api-key"]}` },
      ),
    );
    const err = await client({ logLevel: "debug", logger, maxRetries: 1 })
      .ingest.units(event)
      .catch((e) => e);
    expect(server.received[0].headers["xproxy-api-key"]).toBe(KEY);
    expect(err.status).toBe(401);
    const views = [
      String(err),
      err.message,
      err.stack,
      JSON.stringify(err),
      inspect(err, { depth: 10, showHidden: true }),
      JSON.stringify([...err.headers]),
      ...lines,
    ];
    expect(lines.length).toBeGreaterThan(0);
    for (const v of views) expect(v).not.toContain(KEY);
    expect(inspect(client())).not.toContain(KEY);
    expect(JSON.stringify(client())).not.toContain(KEY);
  });

  it("never shows the key when a 200 that is not JSON echoes it, nor in a connection error's causes", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) =>
      lines.push(args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" "));
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    server.handle((r, res) => {
      res.writeHead(200, { "content-type": "application/json", "x-echo": String(r.headers["xproxy-api-key"]) });
      res.end(`not json, your key is ${r.headers["xproxy-api-key"]}`);
    });
    const bad = await client({ logLevel: "debug", logger })
      .ingest.units(event)
      .catch((e) => e);
    expect(bad).toBeInstanceOf(APIResponseValidationError);
    server.handle((_r, res) => void res.socket!.destroy());
    const reset = await client({ logLevel: "debug", logger, maxRetries: 1 })
      .ingest.units(event)
      .catch((e) => e);
    expect(reset).toBeInstanceOf(errors.APIConnectionError);
    expect(server.received).toHaveLength(2);
    for (const err of [bad, reset]) {
      const views = [
        String(err),
        err.message,
        err.stack,
        JSON.stringify(err),
        inspect(err, { depth: 10, showHidden: true }),
        JSON.stringify([...(err.headers ?? [])]),
      ];
      for (const v of views) expect(v).not.toContain(KEY);
    }
    expect(bad.message).toContain("your key is ***");
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).not.toContain(KEY);
  });

  it("never shows the key, wherever the service echoes it: messages, headers, JSON keys and values, in every error and its causes", async () => {
    const echo = (r: { headers: Record<string, unknown> }) => String(r.headers["xproxy-api-key"]);
    const body = (k: string) => ({
      message: `bad key ${k}`,
      statusCode: 400,
      details: { [k]: [k, { [`nested ${k}`]: k }] },
      [k]: true,
    });
    const caught: unknown[] = [];
    const run = async (
      handler: Parameters<TestServer["handle"]>[0],
      o: ConstructorParameters<typeof AsyncPayi>[0] = {},
      call: (c: AsyncPayi) => Promise<unknown> = (c) => c.ingest.units(event),
    ) => {
      server.handle(handler);
      caught.push(
        await call(client(o)).then(
          () => new Error("no error"),
          (e) => e,
        ),
      );
    };
    await run((r, res) => json(res, 400, body(echo(r)), { "x-echo": echo(r), [`x-${echo(r)}`]: "named after it" }));
    await run((r, res) => json(res, 500, body(echo(r))));
    // A 200 that strict validation refuses, and a list whose body is not a list.
    await run((r, res) => json(res, 200, body(echo(r))), { strictResponseValidation: true });
    await run(
      (r, res) => json(res, 200, { items: body(echo(r)) }),
      {},
      (c) => c.limits.list().then((p) => p.items),
    );
    await run(
      (r, res) => void (res.writeHead(200, { "content-type": "application/json" }), res.end(`{"${echo(r)}": `)),
    );
    await run((_r, res) => void res.socket!.destroy());
    await run(
      (r, res) => json(res, 400, body(echo(r))),
      {},
      (c) => c.withRawResponse.ingest.units(event),
    );
    expect(server.received.at(-1)!.headers["xproxy-api-key"]).toBe(KEY);
    expect(caught.map((e) => (e as Error).name)).toEqual([
      "BadRequestError",
      "InternalServerError",
      "APIResponseValidationError",
      "APIResponseValidationError",
      "APIResponseValidationError",
      "APIConnectionError",
      "BadRequestError",
    ]);
    for (const err of caught) expect(leaks(err, KEY)).toEqual([]);
    expect((caught[0] as APIError).body).toMatchObject({
      message: "bad key ***",
      details: { "***": ["***", { "nested ***": "***" }] },
      "***": true,
    });
  });
});
