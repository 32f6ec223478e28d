// The default transport on Node (undici's request API): what fetch did for us, it still does.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { ProxyAgent, fetch as undiciFetch } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APITimeoutError, APIUserAbortError, AsyncPayi } from "../../src/index.js";
import { NodeResponse } from "../../src/runtime/node-response.js";
import { event, ingestOk, json, stall, startServer, type TestServer } from "../helpers/server.js";

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

  it.each(Object.keys(encoders) as (keyof typeof encoders)[])(
    "decodes a %s body, parsed and streamed",
    async (coding) => {
      server.handle((_r, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
        res.end(encoders[coding](Buffer.from(JSON.stringify(ingestOk))));
      });
      expect(await client().ingest.units(event)).toEqual(ingestOk);
      const streamed = await client().withStreamingResponse.ingest.units(event);
      expect(streamed.headers.get("content-encoding")).toBe(coding);
      expect(await streamed.json()).toEqual(ingestOk);
    },
  );

  it.each(["gzip", "deflate"] as const)("reads a %s body whose end was cut short, as fetch does", async (coding) => {
    const whole = encoders[coding](Buffer.from(JSON.stringify(ingestOk)));
    // Without its checksum: every byte of the JSON is there.
    const cut = whole.subarray(0, whole.length - 4);
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
      res.end(cut);
    });
    expect(await client().ingest.units(event)).toEqual(ingestOk);
  });

  it("ends a brotli body cut short as fetch does: what decoded is the answer, here not JSON", async () => {
    const whole = zlib.brotliCompressSync(Buffer.from(JSON.stringify(ingestOk)));
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "br" });
      res.end(whole.subarray(0, whole.length - 1));
    });
    for (const fetch of [undefined, globalThis.fetch]) {
      const err = await client({ fetch })
        .ingest.units(event)
        .catch((e) => e);
      expect(err.name, fetch ? "fetch" : "default transport").toBe("APIResponseValidationError");
      expect(err.message).toMatch(/^The service answered 200 with a body that is not JSON: \{"event_timestamp"/);
    }
  });

  it("reads the coding's name without regard to case, x-gzip as gzip", async () => {
    for (const coding of ["GZip", "x-gzip"]) {
      server.handle((_r, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": coding });
        res.end(zlib.gzipSync(Buffer.from(JSON.stringify(ingestOk))));
      });
      expect(await client().ingest.units(event), coding).toEqual(ingestOk);
    }
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
    expect(server.received[0].headers["user-agent"]).toMatch(/^payi-typescript\/source node\/v\d+/);
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

  it("tells when a body is done, read or cancelled, so its deadline can be let go", async () => {
    const response = (body: string) =>
      new NodeResponse("http://x/", 200, {}, Readable.from([Buffer.from(body)]), false);
    const read = response("{}");
    let readDone = false;
    read.whenDone(() => (readDone = true));
    expect(readDone).toBe(false);
    expect(await read.text()).toBe("{}");
    await new Promise((r) => setImmediate(r));
    expect(readDone).toBe(true);

    const cancelled = response("{}");
    let cancelDone = false;
    cancelled.whenDone(() => (cancelDone = true));
    await cancelled.body!.cancel();
    await new Promise((r) => setImmediate(r));
    expect(cancelDone).toBe(true);

    let emptyDone = false;
    new NodeResponse("http://x/", 204, {}, Readable.from([]), false).whenDone(() => (emptyDone = true));
    expect(emptyDone).toBe(true);
  });

  it("gives one body stream, as fetch does, however often it is asked for", async () => {
    const streamed = await client().withStreamingResponse.ingest.units(event);
    const body = streamed.body;
    expect(streamed.body).toBe(body);
    const reader = body!.getReader();
    expect(streamed.bodyUsed).toBe(true);
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(JSON.parse(Buffer.concat(chunks).toString("utf8"))).toEqual(ingestOk);
  });

  it("reads an answer without a body as empty, whichever way it is read", async () => {
    server.handle((_r, res) => void (res.writeHead(204), res.end()));
    const kpi = { use_case_name: "support-chat", use_case_id: "uc_1", kpi_name: "resolved", score: 1 };
    const asText = await client().withStreamingResponse.useCases.kpis.update(kpi);
    expect([asText.status, asText.body, await asText.text()]).toEqual([204, null, ""]);
    const asBytes = await client().withStreamingResponse.useCases.kpis.update(kpi);
    expect((await asBytes.arrayBuffer()).byteLength).toBe(0);
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

describe("response headers and status", () => {
  it("keep every value of a header given twice, and any 2xx is a success", async () => {
    server.handle((_r, res) => {
      res.setHeader("x-region", ["eu-west", "eu-north"]);
      json(res, 299, ingestOk);
    });
    const { data, response } = await client().ingest.units(event).withResponse();
    expect(data).toEqual(ingestOk);
    expect(response.status).toBe(299);
    expect(response.headers.get("x-region")).toBe("eu-west, eu-north");
    expect(response.headers).toBe(response.headers);
    // No reason phrase is known for 299.
    expect(response.statusText).toBe("");
    expect([response.type, response.redirected, response.ok]).toEqual(["basic", false, true]);
  });
});

describe("answers without a body", () => {
  it.each([204, 200])("a %i with no body resolves to undefined, and its connection is reused", async (status) => {
    const ports = new Set<number>();
    server.handle((_r, res) => {
      ports.add(res.socket!.remotePort!);
      res.writeHead(status, status === 200 ? { "content-length": "0" } : {});
      res.end();
    });
    const c = client();
    const kpi = { use_case_name: "support-chat", use_case_id: "uc_1", kpi_name: "resolved", score: 1 };
    for (let i = 0; i < 6; i++) expect(await c.useCases.kpis.update(kpi)).toBeUndefined();
    expect(server.received).toHaveLength(6);
    // undici opens a second connection when a call follows the last one in the same turn,
    // before the first is back in the pool; a connection held by an unread body would make six.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

describe("over TLS", () => {
  // A self-signed certificate for 127.0.0.1 (test/fixtures/tls), trusted only where a test says so.
  const tls = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)));

  it("trusts what Node trusts, asks for brotli too, and decodes it", async () => {
    const seen: { encoding?: string; key?: string }[] = [];
    const secure = https.createServer({ key: tls("key.pem"), cert: tls("cert.pem") }, (req, res) => {
      seen.push({ encoding: req.headers["accept-encoding"], key: req.headers["xproxy-api-key"] as string });
      const ok = req.headers["xproxy-api-key"] === "test-key-tls";
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json", "content-encoding": "br" });
      res.end(
        zlib.brotliCompressSync(Buffer.from(JSON.stringify(ok ? ingestOk : { message: "bad key", statusCode: 401 }))),
      );
    });
    await new Promise<void>((r) => secure.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
      const script = fileURLToPath(new URL("../fixtures/tls-client.ts", import.meta.url));
      const env = {
        ...process.env,
        NODE_EXTRA_CA_CERTS: fileURLToPath(new URL("../fixtures/tls/cert.pem", import.meta.url)),
      };
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, url], {
        env,
        timeout: 20_000,
      });
      expect(JSON.parse(stdout)).toEqual({ request_id: ingestOk.request_id, authError: true });
      expect(seen.map((s) => s.encoding)).toEqual(["br, gzip, deflate", "br, gzip, deflate"]);
    } finally {
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });

  it("refuses a certificate nobody vouches for, as a connection error", async () => {
    const secure = https.createServer({ key: tls("key.pem"), cert: tls("cert.pem") }, (_req, res) =>
      json(res, 200, ingestOk),
    );
    await new Promise<void>((r) => secure.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
      const error = await new AsyncPayi({ apiKey: "test-key-tls", baseURL: url, maxRetries: 0, logLevel: "off" }).ingest
        .units(event)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "APIConnectionError", message: expect.stringContaining("SELF_SIGNED") });
    } finally {
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });
});

describe("a fetch of one's own", () => {
  it("gets each attempt's deadline and the caller's abort as its signal", async () => {
    const signals: AbortSignal[] = [];
    const own = (url: string | URL | Request, init?: RequestInit) => {
      signals.push(init!.signal!);
      return fetch(url, init);
    };
    server.handle(stall);
    const started = Date.now();
    await expect(client({ fetch: own, timeout: 150 }).ingest.units(event)).rejects.toBeInstanceOf(APITimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signals[0].aborted).toBe(true);

    const controller = new AbortController();
    const pending = client({ fetch: own }).ingest.units(event, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(signals[1].aborted).toBe(true);
  });

  it("routes calls through an HTTP proxy, as the README shows", async () => {
    // A CONNECT proxy that records each tunnel it opens.
    const tunnels: string[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req: http.IncomingMessage, downstream: net.Socket, head: Buffer) => {
      tunnels.push(req.url!);
      const [host, port] = req.url!.split(":");
      const upstream = net.connect(Number(port), host, () => {
        downstream.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(downstream).pipe(upstream);
      });
      upstream.on("error", () => downstream.destroy());
      downstream.on("error", () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const dispatcher = new ProxyAgent(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    try {
      const viaProxy = client({
        fetch: (url, init) =>
          undiciFetch(url as string, { ...init, dispatcher } as never) as unknown as Promise<Response>,
      });
      expect(await viaProxy.ingest.units(event)).toEqual(ingestOk);
      expect(tunnels).toEqual([`127.0.0.1:${server.port}`]);
      expect(server.received[0].headers["xproxy-api-key"]).toBe("test-key-transport");
    } finally {
      await dispatcher.close();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});
