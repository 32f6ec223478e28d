// strictResponseValidation: off by default (bodies pass through untouched), on it names what differs from the spec.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIResponseValidationError, AsyncPayi } from "../../src/index.js";

const good = {
  event_timestamp: "2025-02-03T10:00:00Z",
  ingest_timestamp: "2025-02-03T10:00:00.120Z",
  request_id: "req_1",
  xproxy_result: { request_id: "req_1", cost: { currency: "usd", total: { base: 0.0005 } } },
};
let answer: unknown = good;
let server: http.Server;
let baseURL: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const event = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 10, output: 50 } } };

describe("strict response validation", () => {
  const strict = () =>
    new AsyncPayi({ apiKey: "test-key-strict", baseURL, strictResponseValidation: true, maxRetries: 0 });
  const lax = () => new AsyncPayi({ apiKey: "test-key-strict", baseURL, maxRetries: 0 });

  it("accepts a body that matches the spec", async () => {
    answer = good;
    await expect(strict().ingest.units(event)).resolves.toEqual(good);
  });

  it("names a missing required field", async () => {
    const { request_id: _, ...missing } = good;
    answer = missing;
    const err = await strict()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(["request_id"]);
    expect(err.status).toBe(200);
    expect(err.body).toEqual(missing);
  });

  it("names a field of the wrong type, nested", async () => {
    answer = { ...good, xproxy_result: { ...good.xproxy_result, cost: { total: { base: "cheap" } } } };
    const err = await strict()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err.message).toContain("xproxy_result.cost.total.base");
  });

  it("keeps fields the spec does not know, strict or not", async () => {
    answer = { ...good, new_field: { added: "later" } };
    await expect(strict().ingest.units(event)).resolves.toEqual(answer);
    await expect(lax().ingest.units(event)).resolves.toEqual(answer);
  });

  it("is off by default: a body that differs passes through untouched", async () => {
    answer = { request_id: 42 };
    await expect(lax().ingest.units(event)).resolves.toEqual({ request_id: 42 });
  });
});
