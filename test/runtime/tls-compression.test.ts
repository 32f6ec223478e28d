// Over TLS the default transport asks for brotli as well as gzip and deflate (as fetch does:
// no proxy in between can mangle it there), and decodes what it asked for.
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { brotliCompressSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk } from "../helpers/server.js";

// A self-signed certificate for 127.0.0.1 (test/fixtures/tls); the other TLS tests trust it in a
// child process, this one in its own for the length of each test.
const tls = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)));
const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
beforeEach(() => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
});
afterEach(() => {
  if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
});

describe("over TLS", () => {
  it("asks for br, gzip and deflate, and decodes a brotli body", async () => {
    const asked: (string | undefined)[] = [];
    const secure = https.createServer({ key: tls("key.pem"), cert: tls("cert.pem") }, (req, res) => {
      asked.push(req.headers["accept-encoding"]);
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "br" });
      res.end(brotliCompressSync(Buffer.from(JSON.stringify(ingestOk))));
    });
    await new Promise<void>((r) => secure.listen(0, "127.0.0.1", r));
    try {
      const c = new AsyncPayi({
        apiKey: "test-key-tls",
        baseURL: `https://127.0.0.1:${(secure.address() as AddressInfo).port}`,
        maxRetries: 0,
        logLevel: "off",
      });
      expect(await c.ingest.units(event)).toEqual(ingestOk);
      expect(asked).toEqual(["br, gzip, deflate"]);
    } finally {
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });
});
