// A local HTTP server that misbehaves on purpose, one handler per test, recording what it receives.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Received {
  method: string;
  /** Path and query exactly as they arrived, percent-encoding included. */
  url: string;
  /** Lower-cased names, as Node gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Answers one request; `n` counts requests since the last `handle()`, from 1. */
export type Handler = (req: Received, res: http.ServerResponse, n: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  port: number;
  /** Every request since the last `handle()`, in order of arrival. */
  received: Received[];
  /** Sets the handler for what follows and forgets what was received before. */
  handle(handler: Handler): void;
  /** Stops listening and destroys open sockets, stalled ones included, so tests end by themselves. */
  close(): Promise<void>;
}

export async function startServer(handler: Handler = (_req, res) => json(res, 200, {})): Promise<TestServer> {
  let current = handler;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      const r: Received = { method: req.method!, url: req.url!, headers: req.headers, body };
      received.push(r);
      Promise.resolve(current(r, res, received.length)).catch((err) => {
        // A broken handler answers 599 with its error, which then shows in the failing test's output.
        if (!res.headersSent) res.writeHead(599);
        res.end(String(err));
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
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

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** A handler that never answers: the request stays open until the client gives up or the server closes. */
export const stall: Handler = () => new Promise<void>(() => {});

/** The service's error body. */
export const errorBody = (status: number, message: string, code?: string) => ({
  message,
  statusCode: status,
  ...(code ? { xproxy_error: { code, message } } : {}),
});

export const ingestOk = {
  event_timestamp: "2025-02-03T10:00:00Z",
  ingest_timestamp: "2025-02-03T10:00:00.120Z",
  request_id: "req_local_1",
  xproxy_result: { request_id: "req_local_1" },
};

export const event = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 10, output: 50 } } };
