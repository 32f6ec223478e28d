// A caller's AbortSignal stops a call at once: in flight, in the wait before a retry, or before it starts.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIUserAbortError, AsyncPayi, PayiError } from "../../src/index.js";
import { errorBody, event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-aborts", baseURL: server.url, logLevel: "off" });

describe("aborts", () => {
  it("stop an in-flight request, with APIUserAbortError and no retry", async () => {
    const controller = new AbortController();
    // The server runs in the test's process: it aborts once the request has arrived, and never answers.
    server.handle(() => void setTimeout(() => controller.abort(), 50));
    const err = await client()
      .ingest.units(event, { signal: controller.signal })
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIUserAbortError);
    expect(err).toBeInstanceOf(PayiError);
    expect(server.received).toHaveLength(1);
  });

  it("stop the wait before a retry, well before the 30 s the server asked for", async () => {
    const controller = new AbortController();
    server.handle((_r, res) => {
      json(res, 429, errorBody(429, "slow down"), { "retry-after": "30" });
      setTimeout(() => controller.abort(), 100);
    });
    const started = Date.now();
    await expect(client().ingest.units(event, { signal: controller.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.received).toHaveLength(1);
  });

  it("stop a wait the caller aborts just as it begins", async () => {
    const controller = new AbortController();
    server.handle((_r, res) => json(res, 429, errorBody(429, "slow down"), { "retry-after": "30" }));
    const quiet = () => {};
    // The info line announcing the retry comes just before the wait.
    const logger = { debug: quiet, warn: quiet, error: quiet, info: () => controller.abort() };
    const c = new AsyncPayi({ apiKey: "test-key-aborts", baseURL: server.url, logLevel: "info", logger });
    const started = Date.now();
    await expect(c.ingest.units(event, { signal: controller.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.received).toHaveLength(1);
  });

  it("stop a list between pages", async () => {
    const controller = new AbortController();
    server.handle((_r, res, n) => {
      // The abort lands while the second page is in flight.
      if (n === 2) controller.abort();
      json(res, 200, { items: [{ limit_id: `lim_${n}` }], cursor: String(n) });
    });
    const seen: string[] = [];
    const run = async () => {
      for await (const l of client().limits.list({}, { signal: controller.signal })) seen.push(l.limit_id);
    };
    await expect(run()).rejects.toBeInstanceOf(APIUserAbortError);
    expect(seen).toEqual(["lim_1"]);
    expect(server.received).toHaveLength(2);
  });

  it("refuse to start with a signal already aborted: nothing is sent", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    await expect(client().ingest.units(event, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      APIUserAbortError,
    );
    expect(server.received).toHaveLength(0);
  });
});

describe("a signal shared by many calls", () => {
  it("collects no listeners: twenty calls, each retried once, and Node warns of no leak", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      server.handle((_r, res, n) =>
        n % 2 === 1 ? json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }) : json(res, 200, ingestOk),
      );
      const shutdown = new AbortController();
      const c = client();
      for (let i = 0; i < 20; i++) await c.ingest.units(event, { signal: shutdown.signal });
      expect(server.received).toHaveLength(40);
      // Node reports a listener leak on the next turn of the event loop.
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.map((w) => w.message)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
