// maxResponseSize bounds a streamed body too: one that inflates past it fails as it is read,
// naming the option, rather than filling memory (a parsed call's body is also checked once read).
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

describe("maxResponseSize and a streamed body", () => {
  it("fails the read of a gzip body that inflates past it", async () => {
    const inflated = Buffer.concat([Buffer.from(JSON.stringify(ingestOk)), Buffer.alloc(5_000_000, " ")]);
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(inflated, { level: 9 }));
    });
    const c = new AsyncPayi({
      apiKey: "test-key-streamed",
      baseURL: server.url,
      maxRetries: 0,
      logLevel: "off",
      maxResponseSize: 1_000_000,
    });
    const streamed = await c.withStreamingResponse.ingest.units(event);
    expect(streamed.status).toBe(200);
    await expect(streamed.text()).rejects.toThrow(
      "The response body is larger than maxResponseSize (1000000 bytes, decompressed).",
    );
  });
});
