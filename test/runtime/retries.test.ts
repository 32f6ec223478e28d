// Retries exactly as the contract says, counted by the server.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  AsyncPayi,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from "../../src/index.js";
import { maxBackoffBudgetMs, retryDelayMs } from "../../src/runtime/retry.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let client: AsyncPayi;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
  client = new AsyncPayi({ apiKey: "test-key-retries", baseURL: server.url, logLevel: "off" });
});
afterEach(() => server.close());

/** Fails `times` times with `status` (and headers), then succeeds. */
const failThenOk = (times: number, status: number, headers: Record<string, string> = {}) =>
  server.handle((_r, res, n) =>
    n <= times
      ? json(res, status, { message: `failure ${n}`, statusCode: status }, { "retry-after-ms": "5", ...headers })
      : json(res, 200, ingestOk),
  );

describe("retries", () => {
  it.each([408, 409, 429, 500, 502, 503])("retries %i and succeeds on the third attempt", async (status) => {
    failThenOk(2, status);
    await expect(client.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(3);
  });

  it("gives up after maxRetries (2 by default: three requests) with the last error", async () => {
    failThenOk(10, 503);
    const err = await client.ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.message).toContain("failure 3");
    expect(server.received).toHaveLength(3);
  });

  it.each([400, 401, 404, 422])("does not retry %i", async (status) => {
    failThenOk(10, status);
    await expect(client.ingest.units(event)).rejects.toMatchObject({ status });
    expect(server.received).toHaveLength(1);
  });

  it("x-should-retry overrides the status, both ways", async () => {
    failThenOk(1, 400, { "x-should-retry": "true" });
    await expect(client.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
    failThenOk(1, 503, { "x-should-retry": "false" });
    await expect(client.ingest.units(event)).rejects.toBeInstanceOf(InternalServerError);
    expect(server.received).toHaveLength(1);
  });

  it("x-should-retry: true retries even an answer that has no body (a 304)", async () => {
    server.handle((_r, res, n) =>
      n === 1
        ? void (res.writeHead(304, { "x-should-retry": "true", "retry-after-ms": "5" }), res.end())
        : json(res, 200, ingestOk),
    );
    const retries: string[] = [];
    const quiet = () => {};
    const logger = { debug: quiet, warn: quiet, error: quiet, info: (m: string) => retries.push(m) };
    const logged = new AsyncPayi({ apiKey: "test-key-retries", baseURL: server.url, logLevel: "info", logger });
    await expect(logged.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
    expect(retries).toEqual(["POST /api/v1/ingest answered 304; retrying"]);
  });

  it("x-should-retry is read without regard to case", async () => {
    failThenOk(1, 503, { "x-should-retry": "FALSE" });
    await expect(client.ingest.units(event)).rejects.toBeInstanceOf(InternalServerError);
    expect(server.received).toHaveLength(1);
    failThenOk(1, 400, { "x-should-retry": "True" });
    await expect(client.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
  });

  it("per-request maxRetries: 0 sends once; a client's maxRetries: 4 sends five times", async () => {
    failThenOk(10, 429);
    await expect(client.ingest.units(event, { maxRetries: 0 })).rejects.toBeInstanceOf(RateLimitError);
    expect(server.received).toHaveLength(1);
    failThenOk(10, 429);
    await expect(client.withOptions({ maxRetries: 4 }).ingest.units(event)).rejects.toBeInstanceOf(RateLimitError);
    expect(server.received).toHaveLength(5);
  });

  it("resends the same body and headers", async () => {
    failThenOk(2, 500);
    await client.ingest.units({ ...event, limit_ids: ["monthly-budget"] });
    const [a, b, c] = server.received;
    expect(b.body).toBe(a.body);
    expect(c.body).toBe(a.body);
    expect(JSON.parse(a.body)).toEqual(event);
    expect(c.headers["xproxy-limit-ids"]).toBe("monthly-budget");
    expect(c.headers["xproxy-api-key"]).toBe("test-key-retries");
  });

  it("retries a connection reset, then reports APIConnectionError", async () => {
    server.handle((_r, res, n) => void (n === 1 ? res.socket!.destroy() : json(res, 200, ingestOk)));
    await expect(client.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
    expect(server.received[1].body).toBe(server.received[0].body);
    server.handle((_r, res) => void res.socket!.destroy());
    const err = await client.ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APITimeoutError);
    expect(err.status).toBeUndefined();
    expect(server.received).toHaveLength(3);
  });

  it("does not retry a 400 whose body is the service's error", async () => {
    server.handle((_r, res) =>
      json(res, 400, { message: "units is required", statusCode: 400, xproxy_error: { code: "invalid_request" } }),
    );
    const err = await client.ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain("units is required");
    expect(err.message).toContain("invalid_request");
    expect(server.received).toHaveLength(1);
  });
});

describe("the wait between attempts", () => {
  it("backs off 0.5 s doubling up to 8 s, less up to 25 % jitter", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, undefined, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect([1, 5].map((n) => retryDelayMs(n, undefined, () => 1))).toEqual([375, 6000]);
    expect(retryDelayMs(1, new Headers({ "retry-after-ms": "-5" }), () => 0)).toBe(500);
    expect(retryDelayMs(1, new Headers({ "retry-after-ms": "1500", "retry-after": "9" }))).toBe(1500);
  });

  it("takes the server's wait from 0 to 60 s inclusive, and reads past a blank or unreadable retry-after-ms", () => {
    const wait = (h: Record<string, string>) => retryDelayMs(1, new Headers(h), () => 0);
    expect([
      wait({ "retry-after-ms": "0" }),
      wait({ "retry-after-ms": "60000" }),
      wait({ "retry-after-ms": "60001" }),
    ]).toEqual([0, 60_000, 500]);
    expect([
      wait({ "retry-after-ms": " ", "retry-after": "3" }),
      wait({ "retry-after-ms": "soon", "retry-after": "2" }),
    ]).toEqual([3000, 2000]);
    expect([wait({ "retry-after": " " }), wait({ "retry-after-ms": " " })]).toEqual([500, 500]);
  });

  it("the sync client's time budget covers the longest waits a call may be told to make", () => {
    expect(maxBackoffBudgetMs(0)).toBe(0);
    expect(maxBackoffBudgetMs(2)).toBe(2 * retryDelayMs(1, new Headers({ "retry-after-ms": "60000" })));
  });

  // Waits are measured by when the server saw each attempt; bounds are generous, as the
  // point is which rule applied (ms vs seconds vs date vs backoff), not exact timing.
  const timed = async (headers: () => Record<string, string>) => {
    const seen: number[] = [];
    server.handle((_r, res, n) => {
      seen.push(Date.now());
      if (n === 1) json(res, 429, { message: "slow down", statusCode: 429 }, headers());
      else json(res, 200, ingestOk);
    });
    await expect(client.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
    return seen[1] - seen[0];
  };

  // Each wait asked for is longer than the longest first backoff (500 ms), so a lower bound tells them apart.
  it("honours retry-after-ms", async () => {
    const gap = await timed(() => ({ "retry-after-ms": "800" }));
    expect(gap).toBeGreaterThanOrEqual(790);
    expect(gap).toBeLessThan(5_000);
  });

  it("honours retry-after in seconds", async () => {
    const gap = await timed(() => ({ "retry-after": "1" }));
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeLessThan(5_000);
  });

  it("honours retry-after as an HTTP date", async () => {
    // An HTTP date has whole seconds: two seconds ahead, truncated, is more than one second after the answer.
    const gap = await timed(() => ({ "retry-after": new Date(Date.now() + 2_000).toUTCString() }));
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeLessThan(5_000);
  });

  it.each([
    [{ "retry-after": "3600" }],
    [{ "retry-after-ms": "120000" }],
    [{ "retry-after": "-5" }],
    [{ "retry-after": "soon" }],
  ])("ignores a wait out of range or unreadable (%j) and backs off 0.5 s less jitter", async (headers) => {
    const gap = await timed(() => headers);
    expect(gap).toBeGreaterThanOrEqual(370);
    // Generous over the 500 ms at most, yet short of any wait taken from the header.
    expect(gap).toBeLessThan(2_000);
  });
});
