// The default transport on Node (undici's request API): what fetch did for us, it still does.
import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(() => server.close());
const client = (options: ConstructorParameters<typeof AsyncPayi>[0] = {}) =>
  new AsyncPayi({ apiKey: "test-key-transport", baseURL: server.url, maxRetries: 0, logLevel: "off", ...options });

const encoders = {
  gzip: zlib.gzipSync,
  deflate: zlib.deflateSync,
  br: zlib.brotliCompressSync,
} as const;

describe("compressed bodies", () => {
  it("asks for gzip and deflate over plain HTTP, as fetch does", async () => {
    await client().ingest.units(event);
    expect(server.received[0].headers["accept-encoding"]).toBe("gzip, deflate");
  });

  it.each(Object.keys(encoders) as (keyof typeof encoders)[])("decodes a %s body, parsed and streamed", async (coding) => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
      res.end(encoders[coding](Buffer.from(JSON.stringify(ingestOk))));
    });
    expect(await client().ingest.units(event)).toEqual(ingestOk);
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(streamed.headers.get("content-encoding")).toBe(coding);
    expect(await streamed.json()).toEqual(ingestOk);
  });

  it("reports a body that does not decode as a connection error, not as garbage", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end("this is not gzip");
    });
    await expect(client().ingest.units(event)).rejects.toMatchObject({ name: "APIConnectionError" });
  });
});

describe("request headers", () => {
  it("names the SDK in user-agent, unless the caller set one", async () => {
    await client().ingest.units(event);
    expect(server.received[0].headers["user-agent"]).toMatch(/^payi-typescript node\/v\d+/);
    await client({ defaultHeaders: { "User-Agent": "billing-job/2" } }).ingest.units(event);
    expect(server.received[1].headers["user-agent"]).toBe("billing-job/2");
  });

  it("keeps a caller's accept-encoding", async () => {
    await client().ingest.units(event, { headers: { "accept-encoding": "identity" } });
    expect(server.received[0].headers["accept-encoding"]).toBe("identity");
  });
});

describe("response bodies", () => {
  it("reads a streamed body once, like fetch", async () => {
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(streamed.bodyUsed).toBe(false);
    expect(await streamed.text()).toBe(JSON.stringify(ingestOk));
    expect(streamed.bodyUsed).toBe(true);
    await expect(streamed.text()).rejects.toThrow(TypeError);
  });

  it("gives the body's bytes", async () => {
    const streamed = await client().withStreamingResponse.ingest.units(event);
    const bytes = await streamed.arrayBuffer();
    expect(JSON.parse(Buffer.from(bytes).toString("utf8"))).toEqual(ingestOk);
  });

  it("survives a streamed body left unread whose connection then drops", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(streamed.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    // Vitest fails the run on an uncaught error; reading now reports the drop instead.
    await expect(streamed.text()).rejects.toThrow();
  });
});
