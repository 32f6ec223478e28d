// A local HTTP server that misbehaves on purpose, one handler per test, recording what it receives.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: Received, res: http.ServerResponse, n: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  received: Received[];
  handle(handler: Handler): void;
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
        res.statusCode = 599;
        res.end(String(err));
      });
    });
  });
  server.on("connection", (s) => {
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

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export const ingestOk = {
  event_timestamp: "2025-02-03T10:00:00Z",
  ingest_timestamp: "2025-02-03T10:00:00.120Z",
  request_id: "req_local_1",
  xproxy_result: { request_id: "req_local_1" },
};

export const event = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 10, output: 50 } } };
