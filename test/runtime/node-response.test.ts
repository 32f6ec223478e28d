// The Node transport's responses read as a fetch Response does: the same answer from the
// server, read through the default transport and through `fetch`, gives the same.
import net, { type AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi, type ClientOptions } from "../../src/index.js";
import { NodeResponse } from "../../src/runtime/node-response.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(() => server.close());
const client = (o: ClientOptions = {}) =>
  new AsyncPayi({ apiKey: "test-key-response", baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });
const transports = [
  ["the default transport", undefined],
  ["fetch", globalThis.fetch],
] as const;

/** What `read` gives for the same answer through the default transport and through fetch. */
async function throughBoth<T>(read: (c: AsyncPayi) => Promise<T>): Promise<{ node: T; fetch: T }> {
  return { node: await read(client()), fetch: await read(client({ fetch: globalThis.fetch })) };
}

describe("a response of the default transport, like fetch's", () => {
  it("has the status's reason phrase", async () => {
    server.handle((_r, res) => json(res, 201, ingestOk));
    const both = await throughBoth(async (c) => (await c.ingest.units(event).withResponse()).response.statusText);
    expect(both).toEqual({ node: "Created", fetch: "Created" });
  });

  it("refuses a second read with the same TypeError", async () => {
    const both = await throughBoth(async (c) => {
      const streamed = await c.withStreamingResponse.ingest.units(event);
      await streamed.json();
      return streamed.arrayBuffer().catch((e: unknown) => `${(e as Error).name}: ${(e as Error).message}`);
    });
    expect(both.node).toBe("TypeError: Body is unusable: Body has already been read");
    expect(both.node).toBe(both.fetch);
  });

  it.each([
    ["text", (r: { text(): Promise<string> }) => r.text()],
    [
      "arrayBuffer",
      async (r: { arrayBuffer(): Promise<ArrayBuffer> }) => Buffer.from(await r.arrayBuffer()).toString(),
    ],
  ])("reads the whole body with %s() after its stream was asked for, but not read", async (_how, read) => {
    const both = await throughBoth(async (c) => {
      const streamed = await c.withStreamingResponse.ingest.units(event);
      expect(streamed.body).not.toBeNull();
      expect(streamed.bodyUsed).toBe(false);
      const text = await read(streamed);
      expect(streamed.bodyUsed).toBe(true);
      return text;
    });
    expect(both).toEqual({ node: JSON.stringify(ingestOk), fetch: JSON.stringify(ingestOk) });
  });

  it("has no body for a 205 (reset content), whatever the wire carries after it", async () => {
    const status = 205;
    // Node's HTTP server would not send a body with it: a raw socket does.
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
      s.once("data", () =>
        s.write(`HTTP/1.1 ${status} Whatever\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`),
      );
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    try {
      const baseURL = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
      for (const [how, fetch] of transports) {
        const streamed = await client({ baseURL, fetch }).withStreamingResponse.ingest.units(event);
        expect([streamed.status, streamed.body, await streamed.text()], how).toEqual([status, null, ""]);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => raw.close(r));
    }
  });
});

describe("a response of the default transport", () => {
  it("drains a body the status says is none, so its connection serves the next call", async () => {
    // A 205 followed by more bytes than the transport buffers unread (64 KiB): unread, they would hold the connection.
    const extra = Buffer.alloc(200_000, " ");
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((s) => {
      connections++;
      sockets.add(s);
      s.on("error", () => {});
      let text = "";
      let answered = 0;
      s.on("data", (d) => {
        text += d;
        for (; answered < text.split("POST /").length - 1; answered++)
          s.write(
            Buffer.concat([
              Buffer.from(`HTTP/1.1 205 Reset Content\r\ncontent-length: ${extra.length}\r\n\r\n`),
              extra,
            ]),
          );
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    try {
      const c = client({ baseURL: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` });
      for (let i = 0; i < 3; i++) {
        expect((await c.withStreamingResponse.ingest.units(event)).status).toBe(205);
        // Time for the drain to finish: generous, the bytes are all there.
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(connections).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => raw.close(r));
    }
  });

  it("is ok for a 2xx status only, as a fetch Response is", () => {
    const ok = (status: number) => new NodeResponse("http://x/", status, {}, Readable.from([]), false).ok;
    expect([199, 200, 299, 300].map(ok)).toEqual([false, true, true, false]);
  });

  it("tells at once that a body already read is done", async () => {
    const response = new NodeResponse("http://x/", 200, {}, Readable.from([Buffer.from("{}")]), false);
    expect(await response.text()).toBe("{}");
    await new Promise((r) => setImmediate(r));
    let done = false;
    response.whenDone(() => (done = true));
    expect(done).toBe(true);
  });
});
