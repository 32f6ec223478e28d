/**
 * Bedrock Runtime's wire format for a local fake: Converse and InvokeModel JSON answers, the
 * `application/vnd.amazon.eventstream` frames of ConverseStream and
 * InvokeModelWithResponseStream (encoded with the AWS SDK's own codec), and its errors.
 */
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import type { Received } from "../../helpers/server.js";

type Response = http2.Http2ServerResponse;
export type BedrockHandler = (req: Received, res: Response, n: number) => void | Promise<void>;

export interface BedrockFake {
  url: string;
  received: Received[];
  handle(handler: BedrockHandler): void;
  close(): Promise<void>;
}

/**
 * The fake over cleartext HTTP/2 on loopback: the Bedrock Runtime client's default handler
 * speaks HTTP/2 to an `http:` endpoint.
 */
export async function startBedrockFake(): Promise<BedrockFake> {
  let current: BedrockHandler = (_req, res) => bedrockError(res, 500, "InternalServerException", "no handler");
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http2.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      const r: Received = { method: req.method, url: req.url, headers: req.headers as Received["headers"], body };
      received.push(r);
      Promise.resolve(current(r, res, received.length)).catch((err) => {
        if (!res.headersSent) res.writeHead(599);
        res.end(String(err));
      });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    handle: (h) => {
      current = h;
      received.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One event frame: `:event-type` names the union member, the payload is its JSON. */
export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":message-type": { type: "string", value: "event" },
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** An exception frame in the middle of a stream (e.g. a throttling or validation error). */
export function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ":message-type": { type: "string", value: "exception" },
      ":exception-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** An InvokeModelWithResponseStream chunk: the model's JSON, base64 in `bytes`. */
export const chunkFrame = (json: unknown) =>
  eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(json)).toString("base64") });

/** ConverseStream's events for one answer of `text`, ending with its metadata (usage, trace). */
export function converseStreamFrames(
  text: string[],
  metadata: Record<string, unknown>,
  stopReason = "end_turn",
): Uint8Array[] {
  return [
    eventFrame("messageStart", { role: "assistant" }),
    ...text.map((t) => eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: t } })),
    eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
    eventFrame("messageStop", { stopReason }),
    eventFrame("metadata", { metrics: { latencyMs: 12 }, ...metadata }),
  ];
}

export const REQUEST_ID = "f00d-0000-4000-8000-000000000001";

/** Writes frames; with `breakAfter`, the connection is destroyed after that many. */
export async function writeFrames(
  res: Response,
  frames: Uint8Array[],
  opts: { breakAfter?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  res.writeHead(200, {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": REQUEST_ID,
    ...opts.headers,
  });
  for (const [i, f] of frames.entries()) {
    if (opts.breakAfter !== undefined && i === opts.breakAfter) {
      await new Promise((r) => setTimeout(r, 20));
      res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    res.write(f);
    await new Promise((r) => setImmediate(r));
  }
  res.end();
}

export function bedrockJson(res: Response, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": REQUEST_ID, ...headers });
  res.end(JSON.stringify(body));
}

/** Bedrock's error answer: the type in `x-amzn-errortype`, the message in the body. */
export function bedrockError(res: Response, status: number, type: string, message: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    "x-amzn-requestid": REQUEST_ID,
  });
  res.end(JSON.stringify({ message }));
}

/** The operation and model of a Bedrock Runtime request path (`/model/{id}/converse-stream`). */
export function route(req: Received): { modelId: string; op: string } {
  const m = /^\/model\/([^/]+)\/([a-z-]+)/.exec(req.url);
  if (!m) throw new Error(`not a Bedrock Runtime path: ${req.url}`);
  return { modelId: decodeURIComponent(m[1]), op: m[2] };
}
