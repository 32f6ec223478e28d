// Timeouts per attempt, the connect timeout on Node, and aborts that stop at once.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APITimeoutError, APIUserAbortError, AsyncPayi, Timeout } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
const client = (o: ConstructorParameters<typeof AsyncPayi>[0] = {}) => new AsyncPayi({ apiKey: "test-key-timeouts", baseURL: server.url, logLevel: "off", ...o });
const stall = () => server.handle(() => new Promise(() => {}));

describe("timeouts", () => {
  it("throws APITimeoutError after the configured time, without retrying when maxRetries is 0", async () => {
    stall();
    const started = Date.now();
    const err = await client({ timeout: 200, maxRetries: 0 }).ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(err.message).toContain("200 ms");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
  });

  it("gives each attempt a fresh timeout: a stalled first attempt, then an answer", async () => {
    server.handle((_r, res, n) => (n === 1 ? new Promise(() => {}) : json(res, 200, ingestOk)));
    await expect(client({ timeout: new Timeout({ timeout: 300, connect: 200 }) }).ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
  });

  it("per-request timeout overrides the client's", async () => {
    stall();
    const err = await client({ timeout: 60_000, maxRetries: 0 }).ingest.units(event, { timeout: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
  });

  it("bounds connecting on Node: a TLS handshake that never completes fails at the connect timeout", async () => {
    const silent = net.createServer((s) => s.on("error", () => {})); // accepts TCP, never speaks TLS
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const c = new AsyncPayi({ apiKey: "test-key-timeouts", baseURL: `https://127.0.0.1:${port}`, timeout: new Timeout({ timeout: 10_000, connect: 300 }), maxRetries: 0 });
      const started = Date.now();
      const err = await c.ingest.units(event).catch((e) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(err).not.toBeInstanceOf(APIUserAbortError);
      expect(err.message).not.toContain("10000 ms");
      expect(err.message).toMatch(/connect/i);
    } finally {
      silent.close();
    }
  });

  it("rejects a timeout that is not a positive number", () => {
    expect(() => new Timeout({ timeout: -1 })).toThrow(/timeout must be a positive number/);
    expect(() => client({ timeout: 0 })).toThrow(/positive/);
  });
});

describe("aborts", () => {
  it("stops an in-flight request at once", async () => {
    stall();
    const controller = new AbortController();
    const pending = client().ingest.units(event, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(server.received).toHaveLength(1);
  });

  it("stops during the wait before a retry", async () => {
    server.handle((_r, res) => json(res, 429, { message: "slow down", statusCode: 429 }, { "retry-after": "30" }));
    const controller = new AbortController();
    const started = Date.now();
    const pending = client().ingest.units(event, { signal: controller.signal });
    setTimeout(() => controller.abort(), 150);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
  });

  it("refuses to start with a signal already aborted", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    await expect(client().ingest.units(event, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(server.received).toHaveLength(0);
  });
});
