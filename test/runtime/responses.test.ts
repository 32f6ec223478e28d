// Raw and streaming responses: the answer's status and headers, the body read only when asked.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APITimeoutError, AsyncPayi, RateLimitError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-raw", baseURL: server.url, maxRetries: 0, logLevel: "off" });

describe("withRawResponse", () => {
  it("gives status, headers and parse(), parsed once", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk, { "x-request-id": "req_raw" }));
    const raw = await client().withRawResponse.ingest.units(event);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-request-id")).toBe("req_raw");
    const a = await raw.parse();
    expect(a).toEqual(ingestOk);
    expect(await raw.parse()).toBe(a);
    expect(server.received).toHaveLength(1);
  });

  it("still throws the error of its class", async () => {
    server.handle((_r, res) => json(res, 429, { message: "slow down", statusCode: 429 }));
    await expect(client().withRawResponse.ingest.units(event)).rejects.toBeInstanceOf(RateLimitError);
  });
});

describe("withRawResponse of a list", () => {
  it("gives the first answer, whose parse() is the page's body as sent", async () => {
    const page = { items: [{ limit_id: "lim_1" }], cursor: "c2" };
    server.handle((_r, res) => json(res, 200, page, { "x-request-id": "req_list" }));
    const raw = await client().withRawResponse.limits.list({ limit: 1 });
    expect([raw.status, raw.statusText, raw.ok, raw.url]).toEqual([
      200,
      "OK",
      true,
      `${server.url}/api/v1/limits?limit=1`,
    ]);
    expect(raw.headers.get("x-request-id")).toBe("req_list");
    expect(await raw.parse()).toEqual(page);
    expect(server.received).toHaveLength(1);
  });
});

describe("withStreamingResponse", () => {
  it("resolves at the headers, before the body is complete, and reads it on demand", async () => {
    let go!: () => void;
    const released = new Promise<void>((r) => (go = r));
    // A client that waited for the whole body would otherwise wait forever; this way it fails the `ended` check.
    setTimeout(() => go(), 3_000).unref();
    let ended = false;
    server.handle(async (_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_stream" });
      res.write('{"request_id":"req_stream",');
      await released;
      res.end('"event_timestamp":"2025-02-03T10:00:00Z","ingest_timestamp":"2025-02-03T10:00:00Z","xproxy_result":{}}');
      ended = true;
    });
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(ended).toBe(false);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("x-request-id")).toBe("req_stream");
    expect(streamed.bodyUsed).toBe(false);
    const body = streamed.parse();
    go();
    expect(await body).toEqual({
      request_id: "req_stream",
      event_timestamp: "2025-02-03T10:00:00Z",
      ingest_timestamp: "2025-02-03T10:00:00Z",
      xproxy_result: {},
    });
    expect(ended).toBe(true);
    expect(server.received).toHaveLength(1);
  });

  it("can be closed without reading the body, which lets the connection go", async () => {
    let serverSaw!: (what: string) => void;
    const connection = new Promise<string>((r) => (serverSaw = r));
    server.handle((_r, res) => {
      res.on("close", () => serverSaw("closed"));
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
    });
    const streamed = await client().withStreamingResponse.ingest.units(event);
    await streamed.close();
    // The server never ends this body: only the client letting go closes the connection.
    setTimeout(() => serverSaw("still open after 5 s"), 5_000).unref();
    expect(await connection).toBe("closed");
    expect(streamed.status).toBe(200);
    expect(server.received).toHaveLength(1);
  });

  it("reads its body once: parse() after text() rejects, as a second text() does", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(JSON.parse(await streamed.text())).toEqual(ingestOk);
    expect(streamed.bodyUsed).toBe(true);
    await expect(streamed.parse()).rejects.toThrow(/already been read/);
    await expect(streamed.text()).rejects.toThrow(/already been read/);
  });

  it.each([
    ["the default transport", undefined],
    ["the platform's fetch", globalThis.fetch],
  ])(
    "reads its body within the call's timeout, with %s: a body that stalls is an APITimeoutError",
    async (_n, fetch) => {
      server.handle((_r, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"request_id":');
      });
      const c = new AsyncPayi({ apiKey: "test-key-raw", baseURL: server.url, timeout: 300, maxRetries: 0, fetch });
      const streamed = await c.withStreamingResponse.ingest.units(event);
      const err = await streamed.text().catch((e) => e);
      expect(err).toBeInstanceOf(APITimeoutError);
      expect(err.message).toBe("Request timed out.");
    },
  );

  it("exposes the body as a stream of bytes", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const streamed = await client().withStreamingResponse.ingest.units(event);
    const chunks: Uint8Array[] = [];
    const reader = streamed.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual(ingestOk);
  });
});
