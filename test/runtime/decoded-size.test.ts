// maxResponseSize bounds a compressed body by its size once decoded, not by its length on the
// wire: a body that compresses badly (stored, or already compressed) can be longer sent than read.
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

describe("maxResponseSize and a compressed body", () => {
  it("decodes one that says its length, well within the bound", async () => {
    const body = gzipSync(Buffer.from(JSON.stringify(ingestOk)));
    server.handle((_r, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(body.length),
      });
      res.end(body);
    });
    const c = new AsyncPayi({ apiKey: "test-key-decoded", baseURL: server.url, maxRetries: 0, logLevel: "off" });
    await expect(c.ingest.units(event)).resolves.toEqual(ingestOk);
  });

  it("reads one that says a length past the bound, when it decodes to no more than the bound", async () => {
    const body = Buffer.from(JSON.stringify(ingestOk));
    // Stored, not compressed: its gzip framing makes it longer than the JSON it carries.
    const stored = gzipSync(body, { level: 0 });
    expect(stored.length).toBeGreaterThan(body.length);
    server.handle((_r, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(stored.length),
      });
      res.end(stored);
    });
    const c = new AsyncPayi({
      apiKey: "test-key-decoded",
      baseURL: server.url,
      maxRetries: 0,
      logLevel: "off",
      maxResponseSize: body.length,
    });
    await expect(c.ingest.units(event)).resolves.toEqual(ingestOk);
  });
});
