// Timeouts: per attempt, per request, and the connect timeout on Node.
import net from "node:net";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AsyncPayi,
  PayiError,
  PayiValidationError,
  Timeout,
  type ClientOptions,
} from "../../src/index.js";
import { event, ingestOk, json, stall, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = (o: ClientOptions = {}) =>
  new AsyncPayi({ apiKey: "test-key-timeouts", baseURL: server.url, logLevel: "off", ...o });

/** Every message and code down an error's cause chain, for telling which bound fired. */
const chain = (err: unknown): string => {
  const parts: string[] = [];
  for (
    let e = err as { message?: string; code?: string; cause?: unknown } | undefined, i = 0;
    e && i < 10;
    e = e.cause as typeof e, i++
  )
    parts.push(`${e.message ?? ""} ${e.code ?? ""}`);
  return parts.join(" | ");
};

describe("timeouts", () => {
  it("throw APITimeoutError naming the configured time, and are not retried with maxRetries 0", async () => {
    server.handle(stall);
    const err = await client({ timeout: 200, maxRetries: 0 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toContain("200 ms");
    expect(err.status).toBeUndefined();
    expect(server.received).toHaveLength(1);
  });

  it("are retried like connection errors: maxRetries 1 sends twice, then reports the timeout", async () => {
    server.handle(stall);
    const err = await client({ timeout: 150, maxRetries: 1 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(server.received).toHaveLength(2);
  });

  it("start afresh for each attempt: a stalled first attempt, then an answer within the time", async () => {
    // The second answer takes 100 ms: well within a fresh second (ample on a loaded machine), but
    // past a budget shared by the whole call, which the first attempt (a second) and the backoff
    // (at least 375 ms) have used up.
    server.handle((r, res, n) => (n === 1 ? stall(r, res, n) : void setTimeout(() => json(res, 200, ingestOk), 100)));
    await expect(
      client({ timeout: new Timeout({ timeout: 1_000, connect: 1_000 }) }).ingest.units(event),
    ).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(2);
  });

  it("bound the body too: headers then a stalled body is a timeout", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"request_id":');
    });
    const err = await client({ timeout: 200, maxRetries: 0 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(server.received).toHaveLength(1);
  });

  it("per request override the client's", async () => {
    server.handle(stall);
    const c = client({ timeout: 60_000, maxRetries: 0 });
    const err = await c.ingest.units(event, { timeout: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(err.message).toContain("150 ms");
    const err2 = await c.ingest.units(event, { timeout: new Timeout({ timeout: 120, connect: 100 }) }).catch((e) => e);
    expect(err2.message).toContain("120 ms");
  });

  it("are positive numbers of milliseconds", () => {
    const t = new Timeout({ timeout: 10_000, connect: 200 });
    expect([t.timeout, t.connect]).toEqual([10_000, 200]);
    expect(new Timeout().timeout).toBe(60_000);
    expect(new Timeout().connect).toBe(5_000);
    expect(() => new Timeout({ timeout: -1 })).toThrow(/timeout: must be a positive number/);
    expect(() => new Timeout({ connect: Number.NaN })).toThrow(/connect: must be a positive number/);
    expect(() => client({ timeout: 0 })).toThrow(/positive/);
  });

  it("above what a timer holds (2^31 - 1 ms) are refused, by field, rather than firing at once", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    for (const make of [
      () => new Timeout({ timeout: 2 ** 31 }),
      () => new Timeout({ connect: 2 ** 40 }),
      () => client({ timeout: Number.POSITIVE_INFINITY }),
    ]) {
      expect(make).toThrow(PayiValidationError);
      expect(make).toThrow(/(timeout|connect): must be a positive number of milliseconds up to 2147483647/);
    }
    const err = await client({ maxRetries: 0 })
      .ingest.units(event, { timeout: 2 ** 31 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect(server.received).toHaveLength(0);
    // The largest a timer holds is a timeout like any other.
    await expect(client({ maxRetries: 0, timeout: 2 ** 31 - 1 }).ingest.units(event)).resolves.toEqual(ingestOk);
  });
});

describe("the connect timeout (Node)", () => {
  it("fires on time: a listener whose accept queue is full fails the call at its connect timeout, not up to a second later", async () => {
    // A listener in a thread that never accepts: the kernel completes a handshake or two into
    // its queue (backlog 1), then drops further connection attempts unanswered.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const blocked = new Worker(
      `const net = require("node:net"); const { parentPort, workerData } = require("node:worker_threads");
       const server = net.createServer().listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
         parentPort.postMessage(server.address().port);
         Atomics.wait(workerData, 0, 0);
         server.close();
       });`,
      { eval: true, workerData: gate },
    );
    const port = await new Promise<number>((r) => blocked.once("message", r));
    const fillers: net.Socket[] = [];
    try {
      // Fill the queue until a connection attempt hangs.
      for (let i = 0; i < 16; i++) {
        const s = net.connect(port, "127.0.0.1");
        s.on("error", () => {});
        fillers.push(s);
        const connected = await new Promise<boolean>((r) => {
          s.once("connect", () => r(true));
          setTimeout(() => r(false), 300);
        });
        if (!connected) break;
      }
      const connect = 100;
      const c = new AsyncPayi({
        apiKey: "test-key-timeouts",
        baseURL: `http://127.0.0.1:${port}`,
        timeout: new Timeout({ timeout: 10_000, connect }),
        maxRetries: 0,
        logLevel: "off",
      });
      const started = performance.now();
      const err = await c.ingest.units(event).catch((e) => e);
      const took = performance.now() - started;
      expect(err).toBeInstanceOf(APITimeoutError);
      expect(err.message).toMatch(/connect timed out after 100 ms/i);
      expect(took).toBeGreaterThanOrEqual(connect - 5);
      // Within 50 ms of its setting on an idle machine; generous against load, but not the
      // half second to a second a coarse clock adds.
      expect(took).toBeLessThan(connect + 300);
    } finally {
      for (const s of fillers) s.destroy();
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await blocked.terminate();
    }
  });

  it("bounds connecting only: an answer slower than the connect timeout, within the request's, arrives", async () => {
    server.handle((_r, res) => void setTimeout(() => json(res, 200, ingestOk), 600));
    const c = client({ timeout: new Timeout({ timeout: 10_000, connect: 200 }), maxRetries: 0 });
    await expect(c.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(server.received).toHaveLength(1);
  });

  it("bounds connecting: a server that accepts TCP but never completes TLS fails at 200 ms, not at the 10 s request timeout", async () => {
    const silent = net.createServer((s) => s.on("error", () => {}));
    const sockets = new Set<net.Socket>();
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const c = new AsyncPayi({
        apiKey: "test-key-timeouts",
        baseURL: `https://127.0.0.1:${port}`,
        timeout: new Timeout({ timeout: 10_000, connect: 200 }),
        maxRetries: 0,
        logLevel: "off",
      });
      const started = Date.now();
      const err = await c.ingest.units(event).catch((e) => e);
      // Generous: the point is that it is not the 10 s bound.
      expect(Date.now() - started).toBeLessThan(8_000);
      // A timeout, as in the Python SDK (httpx's ConnectTimeout is an APITimeoutError there), naming the connect bound.
      expect(err).toBeInstanceOf(APITimeoutError);
      expect(err).not.toBeInstanceOf(APIUserAbortError);
      expect(err.message).toMatch(/connect timed out after 200 ms/i);
      expect(err.message).not.toContain("10000 ms");
      expect(chain(err.cause)).toMatch(/connect[\s_-]*time(d )?out/i);
      expect(sockets.size).toBe(1);
    } finally {
      await new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        silent.close(() => r());
      });
    }
  });
});
