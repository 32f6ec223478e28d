// A mock's `sl-violations` header on a 4xx: the violations become the error's message and its
// `violations`; a header that is not a list of them leaves the error as the body says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, BadRequestError, InternalServerError, NotFoundError } from "../../src/index.js";
import { event, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
const client = () => new AsyncPayi({ apiKey: "violations-key", baseURL: server.url, maxRetries: 0, logLevel: "off" });
const body = {
  message: "Resource not found",
  statusCode: 404,
  xproxy_error: { code: "category_resource_not_found", message: "x" },
};

describe("sl-violations", () => {
  it("on a 4xx, names each violation in the message and keeps them as data", async () => {
    const violations = [
      {
        location: ["request", "body", "units"],
        severity: "Error",
        code: "required",
        message: "Request body must have required property 'units'",
      },
      {
        location: ["request", "header", "xproxy-user-id"],
        severity: "Error",
        code: 42,
        message: "Request header parameter xproxy-user-id must be string",
      },
    ];
    server.handle((_r, res) => json(res, 400, body, { "sl-violations": JSON.stringify(violations) }));
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toBe(
      "400 refused by the mock: Request body must have required property 'units'; Request header parameter xproxy-user-id must be string",
    );
    expect(err.violations).toEqual([
      { location: ["request", "body", "units"], severity: "Error", code: "required", message: violations[0].message },
      {
        location: ["request", "header", "xproxy-user-id"],
        severity: "Error",
        code: 42,
        message: violations[1].message,
      },
    ]);
    expect(err.body).toEqual(body);
  });

  it.each([
    ["not JSON", "oops"],
    ["not a list", JSON.stringify({ message: "x" })],
    ["a list without messages", JSON.stringify([{ location: ["request"] }])],
    ["empty", "[]"],
  ])("a header that is %s is ignored: the body's message stays", async (_what, header) => {
    server.handle((_r, res) => json(res, 404, body, { "sl-violations": header }));
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.violations).toBeUndefined();
    expect(err.message).toBe("404 Resource not found (category_resource_not_found)");
  });

  it("is read on a 4xx only", async () => {
    server.handle((_r, res) =>
      json(res, 500, { message: "boom" }, { "sl-violations": JSON.stringify([{ location: [], message: "m" }]) }),
    );
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.violations).toBeUndefined();
    expect(err.message).toBe("500 boom");
  });
});
