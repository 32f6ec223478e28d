/**
 * The server `mock.listen()` starts, on a thread of its own: `Payi` blocks the caller's thread
 * while its worker waits for an answer, so an answer from that thread would never come. Each
 * request's record is posted before its answer is written, so the caller reads it synchronously
 * as soon as its call returns; `fail` and `reset` are acknowledged through shared memory.
 */
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { createCore } from "./core.js";

export interface ServerWorkerData {
  port: number;
  records: MessagePort;
  /** Set to 1 once a control message is applied. */
  ack: Int32Array;
}

export type Control = { type: "fail"; operation: string; failure: object } | { type: "reset" };

const { port, records, ack } = workerData as ServerWorkerData;
const core = createCore();
const held = new Set<Socket>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const { answer, request, events } = core.answer(
      req.method ?? "GET",
      new URL(req.url ?? "/", "http://127.0.0.1"),
      headers,
      Buffer.concat(chunks).toString("utf8"),
    );
    records.postMessage({ request: { ...request, headers: [...request.headers] }, events });
    if ("hang" in answer) return void held.add(req.socket);
    if ("reset" in answer) return void req.socket.destroy();
    const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...answer.headers,
    });
    res.end(body);
  });
});

parentPort!.on("message", (m: Control) => {
  if (m.type === "fail") core.fail(m.operation as never, m.failure);
  else core.reset();
  Atomics.store(ack, 0, 1);
  Atomics.notify(ack, 0);
});

server.once("error", (err) => parentPort!.postMessage({ error: err.message }));
server.listen(port, "127.0.0.1", () => parentPort!.postMessage({ port: (server.address() as AddressInfo).port }));
