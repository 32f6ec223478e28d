// What an error says and holds, for each kind of answer a service (or a proxy before it) gives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIError,
  APIResponseValidationError,
  APITimeoutError,
  APIUserAbortError,
  AsyncPayi,
  PayiError,
  PayiValidationError,
} from "../../src/index.js";
import { event, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
const client = () => new AsyncPayi({ apiKey: "messages-key", baseURL: server.url, maxRetries: 0, logLevel: "off" });

/** The error of a call answered with `status`, this body (JSON unless a string) and these headers. */
async function answered(status: number, body: unknown, headers: Record<string, string> = {}): Promise<APIError> {
  server.handle((_r, res) => {
    if (typeof body === "string") {
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(body);
    } else json(res, status, body, headers);
  });
  return client()
    .ingest.units(event)
    .then(
      () => {
        throw new Error("the call succeeded");
      },
      (e: APIError) => e,
    );
}

describe("an error's message", () => {
  it("is the service's message, else its xproxy_error message, then its code", async () => {
    expect((await answered(400, { message: "units is required" })).message).toBe("400 units is required");
    const fallback = await answered(400, { message: "", xproxy_error: { message: "limit exceeded", code: "limit" } });
    expect(fallback.message).toBe("400 limit exceeded (limit)");
    expect((await answered(400, { xproxy_error: { code: "limit" } })).message).toBe("400 (limit)");
    // An empty message, or one that is no text, is no message.
    expect((await answered(400, { xproxy_error: { message: "", code: "limit" } })).message).toBe("400 (limit)");
    expect((await answered(400, { message: 42 })).message).toBe('400 {"message":42}');
    expect((await answered(400, { xproxy_error: { message: 42, code: "limit" } })).message).toBe("400 (limit)");
  });

  it("is the text of a body that is not JSON, cut at 200 characters", async () => {
    expect((await answered(502, "x".repeat(200))).message).toBe(`502 ${"x".repeat(200)}`);
    expect((await answered(502, "y".repeat(250))).message).toBe(`502 ${"y".repeat(200)}…`);
  });

  it("is the JSON of a body without a message, cut at 200 characters", async () => {
    expect((await answered(418, { detail: "short and stout" })).message).toBe('418 {"detail":"short and stout"}');
    const long = await answered(418, { detail: "z".repeat(300) });
    expect(long.message).toBe(`418 ${JSON.stringify({ detail: "z".repeat(300) }).slice(0, 200)}`);
    expect((await answered(400, ["first", "second"])).message).toBe('400 ["first","second"]');
    expect((await answered(400, null)).message).toBe("400 null");
  });

  it("says there was no body when there was none", async () => {
    expect((await answered(503, "")).message).toBe("503 no body");
  });
});

describe("an error's fields", () => {
  it("a status no subclass has is an APIError with it", async () => {
    const err = await answered(402, { message: "pay up" });
    expect(err.constructor).toBe(APIError);
    expect([err.name, err.status, err.message]).toEqual(["APIError", 402, "402 pay up"]);
  });

  it("the request id comes from x-request-id, else xproxy-request-id, else the body's request_id", async () => {
    const body = { message: "no", request_id: "req_body" };
    expect((await answered(400, body, { "x-request-id": "req_x", "xproxy-request-id": "req_p" })).requestId).toBe(
      "req_x",
    );
    expect((await answered(400, body, { "xproxy-request-id": "req_p" })).requestId).toBe("req_p");
    expect((await answered(400, body)).requestId).toBe("req_body");
    expect((await answered(400, { message: "no", request_id: 7 })).requestId).toBeUndefined();
  });

  it("code is the service's xproxy_error.code when it is a string", async () => {
    expect((await answered(409, { xproxy_error: { code: "duplicate" } })).code).toBe("duplicate");
    const numeric = await answered(409, { xproxy_error: { code: 42 } });
    expect([numeric.code, numeric.message]).toEqual([undefined, '409 {"xproxy_error":{"code":42}}']);
    expect((await answered(409, { xproxy_error: "duplicate" })).code).toBeUndefined();
    expect((await answered(409, "duplicate")).code).toBeUndefined();
  });

  it("a list answer that is no list names the body, not the params", async () => {
    server.handle((_r, res) => json(res, 200, ["lim_1"]));
    const err = await client()
      .limits.list()
      .then(
        () => undefined,
        (e: APIResponseValidationError) => e,
      );
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err?.message).toBe("Response body does not match the spec: (body): a list answer must be an object");
  });

  it("a 200 that is not JSON shows its first 200 characters", async () => {
    server.handle(
      (_r, res) => void (res.writeHead(200, { "content-type": "text/html" }), res.end(`<p>${"w".repeat(300)}`)),
    );
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err.message).toBe(`The service answered 200 with a body that is not JSON: <p>${"w".repeat(197)}`);
    expect(err.body).toBe(`<p>${"w".repeat(300)}`);
  });

  it("a list answer's items must be an array and its cursor text, when they are there", async () => {
    const list = async (body: unknown) => {
      server.handle((_r, res) => json(res, 200, body));
      return client()
        .limits.list()
        .then(
          (page) => page.items,
          (e: APIResponseValidationError) => e,
        );
    };
    const items = await list({ items: { lim_1: {} } });
    expect(items).toBeInstanceOf(APIResponseValidationError);
    expect((items as APIResponseValidationError).issues).toEqual([{ path: "items", message: "expected array" }]);
    const cursor = await list({ items: [], cursor: 2 });
    expect((cursor as APIResponseValidationError).issues).toEqual([{ path: "cursor", message: "expected string" }]);
    expect(await list({ items: [], cursor: null })).toEqual([]);
    expect(await list({ cursor: null })).toEqual([]);
  });

  it("violations are read from a mock's header only when each has a message and a location", async () => {
    // Each of them: one without a location makes the header no list of violations.
    const header = JSON.stringify([
      { message: "units is required", location: ["request", "body", "units"] },
      { message: "units is required" },
    ]);
    const err = await answered(400, { message: "refused" }, { "sl-violations": header });
    expect(err.violations).toBeUndefined();
    expect(err.message).toBe("400 refused");
    // Nor on an answer that is no 4xx, a 3xx left unfollowed here.
    const listed = JSON.stringify([{ message: "units is required", location: ["request", "body"] }]);
    const moved = await answered(302, { message: "moved" }, { "sl-violations": listed });
    expect([moved.violations, moved.message]).toEqual([undefined, "302 moved"]);
  });
});

describe("errors made by hand, as a test of one's own code would", () => {
  it("read as the SDK's", () => {
    const cause = new Error("ECONNRESET");
    const made = [
      new APIConnectionError(),
      new APIConnectionError("Connection error: ECONNRESET.", { cause }),
      new APITimeoutError(),
      new APIUserAbortError(),
      new APIError(undefined, { message: "no answer" }, undefined, undefined),
      new APIError(404, { message: "not here", request_id: "req_1" }, undefined, undefined),
      new APIError(500, undefined, undefined, new Headers()),
      new APIResponseValidationError(200, {}, new Headers(), [{ path: "", message: "expected object" }]),
      new PayiValidationError("client.ingest.units", [{ path: "", message: "params must be an object, got null" }]),
      new PayiValidationError("the client", [{ path: "apiKey", message: "must be a string" }], "options"),
      new PayiValidationError("Timeout", [{ path: "", message: "must be an object" }], "options"),
      new PayiError("anything"),
    ];
    expect(made.map((e) => [e.name, e.message])).toEqual([
      ["APIConnectionError", "Connection error."],
      ["APIConnectionError", "Connection error: ECONNRESET."],
      ["APITimeoutError", "Request timed out."],
      ["APIUserAbortError", "Request was aborted."],
      ["APIError", "no answer"],
      ["APIError", "404 not here"],
      ["APIError", "500 no body"],
      ["APIResponseValidationError", "Response body does not match the spec: (body): expected object"],
      ["PayiValidationError", "Invalid params for client.ingest.units: (params): params must be an object, got null"],
      ["PayiValidationError", "Invalid options for the client: apiKey: must be a string"],
      ["PayiValidationError", "Invalid options for Timeout: (options): must be an object"],
      ["PayiError", "anything"],
    ]);
    expect(made.every((e) => e instanceof PayiError)).toBe(true);
  });

  it("keep a connection error's cause, out of its JSON", () => {
    const cause = new Error("ECONNRESET");
    const err = new APIConnectionError("Connection error.", { cause });
    expect(err.cause).toBe(cause);
    expect(JSON.stringify(err)).not.toContain("ECONNRESET");
    expect(Object.keys(err)).not.toContain("cause");
    expect("cause" in new APITimeoutError()).toBe(false);
  });
});
