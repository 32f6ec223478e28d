// Errors of Payi's calls are made in its worker thread and cross to the caller's: the same
// classes, with the same message, status, headers, body and issues as AsyncPayi gives.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forkServer } from "../helpers/fork-server.js";
import {
  APIConnectionError,
  APIError,
  APIResponseValidationError,
  APITimeoutError,
  InternalServerError,
  Payi,
  PayiValidationError,
} from "../../src/index.js";

let child: ChildProcess;
let url: string;
beforeAll(async () => {
  ({ child, url } = await forkServer());
});
afterAll(() => void child.kill());
const client = (o: ConstructorParameters<typeof Payi>[0] = {}) =>
  new Payi({ apiKey: "sk-sync-errors-0123456789", baseURL: url, logLevel: "off", maxRetries: 0, ...o });
const thrown = (f: () => unknown): any => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
};

describe("Payi's errors", () => {
  it("a refused param: PayiValidationError with its message and issues", () => {
    const err = thrown(() => client().limits.reset({ limit_id: "" }));
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(err.message).toBe("Invalid params for client.limits.reset: limit_id: must have at least 1 character");
    expect(err.issues).toEqual([{ path: "limit_id", message: "must have at least 1 character", code: "too_small" }]);
  });

  it("an answer that does not match the spec, under strict validation: status, body, headers and issues", () => {
    const err = thrown(() => client({ strictResponseValidation: true }).limits.reset({ limit_id: "lim_1" }));
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err.message).toBe(
      "Response body does not match the spec: limit_history.totals.cost: required; limit_history.totals.requests: required",
    );
    expect([err.status, err.body, err.headers.get("content-type")]).toEqual([
      200,
      { limit_history: { totals: {} }, request_id: "lim_1" },
      "application/json",
    ]);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual([
      "limit_history.totals.cost",
      "limit_history.totals.requests",
    ]);
  });

  it("no server: APIConnectionError, not a timeout, with its message", () => {
    const err = thrown(() => client({ baseURL: "http://127.0.0.1:9" }).limits.reset({ limit_id: "x" }));
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APITimeoutError);
    expect(err.message).toBe("Connection error: ECONNREFUSED (127.0.0.1:9).");
  });

  it("a 5xx: InternalServerError with its status and body", () => {
    const err = thrown(() =>
      client().ingest.units(
        { category: "system.openai", units: {} },
        { headers: { "x-test-id": "sync-errors-503", "x-test-fail": "1" } },
      ),
    );
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toBeInstanceOf(APIError);
    expect([err.status, err.body]).toEqual([503, { message: "unavailable 1", statusCode: 503 }]);
    expect(err.headers.get("retry-after-ms")).toBe("20");
  });
});
