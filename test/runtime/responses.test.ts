// Raw and streaming responses: the answer's status and headers, the body read only when asked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, RateLimitError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
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

describe("withStreamingResponse", () => {
  it("resolves at the headers, before the body is complete, and reads it on demand", async () => {
    let finish!: () => void;
    const released = new Promise<void>((r) => (finish = r));
    server.handle(async (_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"request_id":"req_stream",');
      await released;
      res.end('"event_timestamp":"2025-02-03T10:00:00Z","ingest_timestamp":"2025-02-03T10:00:00Z","xproxy_result":{}}');
    });
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(streamed.status).toBe(200);
    expect(streamed.bodyUsed).toBe(false);
    const body = streamed.parse();
    finish();
    expect(await body).toMatchObject({ request_id: "req_stream" });
  });

  it("exposes the body as a stream of bytes", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const streamed = await client().withStreamingResponse.ingest.units(event);
    const chunks: Uint8Array[] = [];
    const reader = streamed.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual(ingestOk);
  });
});
