// Compressed bodies read as fetch reads them: a coding's name with whitespace around it, and a
// body cut short inside its compressed data (what decoded is the answer).
import { deflateSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const transports = [
  ["the default transport", undefined],
  ["fetch", globalThis.fetch],
] as const;
const client = (fetch: typeof globalThis.fetch | undefined) =>
  new AsyncPayi({ apiKey: "test-key-coding", baseURL: server.url, maxRetries: 0, logLevel: "off", fetch });

describe("a compressed body", () => {
  it("is decoded when the coding's name has whitespace around it", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip \t " });
      res.end(gzipSync(Buffer.from(JSON.stringify(ingestOk))));
    });
    for (const [how, fetch] of transports) expect(await client(fetch).ingest.units(event), how).toEqual(ingestOk);
  });

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
  ] as const)("cut short inside its %s data gives what decoded, here not JSON", async (coding, encode) => {
    // A long body, so that the cut falls well inside the compressed data, before its last block ends.
    const whole = encode(Buffer.from(JSON.stringify({ ...ingestOk, note: "x".repeat(5_000) })));
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
      res.end(whole.subarray(0, whole.length - 12));
    });
    for (const [how, fetch] of transports) {
      const err = await client(fetch)
        .ingest.units(event)
        .catch((e) => e);
      expect(err.name, how).toBe("APIResponseValidationError");
      expect(err.message, how).toMatch(/^The service answered 200 with a body that is not JSON: \{"event_timestamp"/);
    }
  });
});
