// maxResponseSize: a response body larger than the bound, once decompressed, ends the call
// with a clear error instead of filling memory (a 50 kB gzip body can inflate to 50 MB).
import { gzipSync, brotliCompressSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIConnectionError, AsyncPayi, type ClientOptions } from "../../src/index.js";
import { event, ingestOk, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = (o: ClientOptions = {}) =>
  new AsyncPayi({ apiKey: "test-key-size", baseURL: server.url, logLevel: "off", ...o });

// 50 MB of JSON whitespace around a valid body: valid, but large once inflated.
const inflated = Buffer.concat([Buffer.from(JSON.stringify(ingestOk)), Buffer.alloc(50_000_000, " ")]);
const gzipped = gzipSync(inflated, { level: 9 });
const brotli = brotliCompressSync(inflated);

describe("maxResponseSize", () => {
  it.each([
    ["gzip", gzipped],
    ["br", brotli],
  ])("a %s body that inflates past it fails the call, once, naming the option", async (coding, bytes) => {
    expect(bytes.length).toBeLessThan(100_000);
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
      res.end(bytes);
    });
    const started = Date.now();
    const err = await client({ maxResponseSize: 1_000_000 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.message).toMatch(/larger than maxResponseSize \(1000000 bytes/);
    // The same answer again would be as large: not retried (maxRetries is 2 by default).
    expect(server.received).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("bounds a plain body too, whether it says its length or not", async () => {
    const big = Buffer.concat([Buffer.from(JSON.stringify(ingestOk)), Buffer.alloc(2_000_000, " ")]);
    for (const withLength of [true, false]) {
      server.handle((_r, res) => {
        res.writeHead(200, {
          "content-type": "application/json",
          ...(withLength ? { "content-length": String(big.length) } : {}),
        });
        res.end(big);
      });
      const err = await client({ maxResponseSize: 1_000_000 })
        .ingest.units(event)
        .catch((e) => e);
      expect(err, `content-length given: ${withLength}`).toBeInstanceOf(APIConnectionError);
      expect(err.message).toMatch(/maxResponseSize/);
    }
  });

  it("reads a body of exactly the bound, plain or compressed, with or without its length", async () => {
    const exact = Buffer.concat([Buffer.from(JSON.stringify(ingestOk)), Buffer.alloc(10_000, " ")]);
    for (const [coding, withLength] of [
      [undefined, true],
      [undefined, false],
      ["gzip", false],
    ] as const) {
      server.handle((_r, res) => {
        res.writeHead(200, {
          "content-type": "application/json",
          ...(coding ? { "content-encoding": coding } : {}),
          ...(withLength ? { "content-length": String(exact.length) } : {}),
        });
        res.end(coding ? gzipSync(exact) : exact);
      });
      const got = await client({ maxResponseSize: exact.length }).ingest.units(event);
      expect(got, `${coding ?? "plain"}, content-length given: ${withLength}`).toEqual(ingestOk);
    }
  });

  it("hangs up on a body that says it is too large, rather than reading it", async () => {
    let closed!: (how: string) => void;
    const connection = new Promise<string>((r) => (closed = r));
    server.handle((_r, res) => {
      res.on("close", () => closed("closed"));
      res.writeHead(200, { "content-type": "application/json", "content-length": "2000000" });
      // The first part only: the rest would follow once this was read.
      res.write(Buffer.alloc(65_536, " "));
    });
    const err = await client({ maxResponseSize: 1_000_000, maxRetries: 0 })
      .ingest.units(event)
      .catch((e) => e);
    expect(err.message).toMatch(/larger than maxResponseSize/);
    setTimeout(() => closed("still open after 5 s"), 5_000).unref();
    expect(await connection).toBe("closed");
  });

  it("has a generous default: the same 2 MB body, and a 50 MB inflated one, are read", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipped);
    });
    await expect(client().ingest.units(event)).resolves.toEqual(ingestOk);
    expect(() => client({ maxResponseSize: 0 })).toThrow(/maxResponseSize must be a positive number/);
  });
});

describe("maxResponseSize with a fetch of one's own", () => {
  // A JSON body of `bytes` bytes in UTF-8, two bytes per "é".
  const bodyOf = (bytes: number) => {
    const base = Buffer.byteLength(JSON.stringify({ ...ingestOk, note: "" }));
    return JSON.stringify({ ...ingestOk, note: "é".repeat((bytes - base) / 2) });
  };

  it("counts bytes, not characters: a body of exactly the bound is read, one past it fails and is not retried", async () => {
    const bound = 10_000;
    for (const [bytes, fits] of [
      [bound, true],
      [bound + 2, false],
    ] as const) {
      const text = bodyOf(bytes);
      expect(Buffer.byteLength(text)).toBe(bytes);
      expect(text.length).toBeLessThan(bound);
      server.handle((_r, res) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(text);
      });
      const result = client({ fetch: globalThis.fetch, maxResponseSize: bound }).ingest.units(event);
      if (fits) await expect(result).resolves.toMatchObject(ingestOk);
      else {
        const err = await result.catch((e) => e);
        expect(err).toBeInstanceOf(APIConnectionError);
        expect(err.message).toBe("The response body is larger than maxResponseSize (10000 bytes).");
        expect(server.received).toHaveLength(1);
      }
    }
  });
});
