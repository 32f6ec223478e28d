// Each attempt's deadline: what it aborts (the exchange, with the reason) and that it lets go of
// the caller's signal once the attempt is over, streamed bodies included.
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APITimeoutError, APIUserAbortError, AsyncPayi, type ClientOptions } from "../../src/index.js";
import { event, ingestOk, json, stall, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(() => server.close());
const client = (o: ClientOptions = {}) =>
  new AsyncPayi({ apiKey: "test-key-deadline", baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });
const kpi = { use_case_name: "support-chat", use_case_id: "uc_1", kpi_name: "resolved", score: 1 };
const listeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("a caller's signal", () => {
  it("keeps no listener of a call once it is over, its streamed body read, cancelled or empty", async () => {
    const signal = new AbortController().signal;
    const c = client();

    await c.ingest.units(event, { signal });
    expect(listeners(signal), "parsed").toBe(0);

    const read = await c.withStreamingResponse.ingest.units(event, { signal });
    expect(listeners(signal), "a streamed body not read yet is still bound by the call").toBe(1);
    expect(await read.json()).toEqual(ingestOk);
    await nextTurn();
    expect(listeners(signal), "streamed, read to its end").toBe(0);

    const cancelled = await c.withStreamingResponse.ingest.units(event, { signal });
    await cancelled.body!.cancel();
    await nextTurn();
    expect(listeners(signal), "streamed, cancelled").toBe(0);

    server.handle((_r, res) => void (res.writeHead(204), res.end()));
    await c.withStreamingResponse.useCases.kpis.update(kpi, { signal });
    expect(listeners(signal), "streamed, no body").toBe(0);

    server.handle((_r, res) => void res.socket!.destroy());
    await expect(c.ingest.units(event, { signal })).rejects.toMatchObject({ name: "APIConnectionError" });
    expect(listeners(signal), "failed").toBe(0);
  });

  it("with a fetch of one's own, whose body's end cannot be seen, is let go at the latest at the timeout", async () => {
    const signal = new AbortController().signal;
    const own = (...a: Parameters<typeof globalThis.fetch>) => globalThis.fetch(...a);
    const c = client({ fetch: own, timeout: 300 });

    await c.ingest.units(event, { signal });
    expect(listeners(signal), "parsed").toBe(0);

    server.handle((_r, res) => void (res.writeHead(204), res.end()));
    await c.withStreamingResponse.useCases.kpis.update(kpi, { signal });
    expect(listeners(signal), "streamed, no body").toBe(0);

    server.handle((_r, res) => json(res, 200, ingestOk));
    const read = await c.withStreamingResponse.ingest.units(event, { signal });
    expect(await read.json()).toEqual(ingestOk);
    await new Promise((r) => setTimeout(r, 600));
    expect(listeners(signal), "streamed, read, after its timeout").toBe(0);
  });
});

describe("a fetch of one's own", () => {
  it("sees the reason of the abort on its signal: the caller's, or a timeout", async () => {
    const signals: AbortSignal[] = [];
    const own = (url: string | URL | Request, init?: RequestInit) => {
      signals.push(init!.signal!);
      return globalThis.fetch(url, init);
    };
    server.handle(stall);
    await expect(client({ fetch: own, timeout: 100 }).ingest.units(event)).rejects.toBeInstanceOf(APITimeoutError);
    expect(signals[0].reason).toBeInstanceOf(APITimeoutError);

    const controller = new AbortController();
    const why = new Error("shutting down");
    server.handle(() => void controller.abort(why));
    await expect(client({ fetch: own }).ingest.units(event, { signal: controller.signal })).rejects.toBeInstanceOf(
      APIUserAbortError,
    );
    expect(signals[1].reason).toBe(why);
  });
});
