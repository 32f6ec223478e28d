/**
 * The worker side of the sync client: an AsyncPayi per client, running one call per message
 * and answering through the bridge (sync-bridge.ts). Streamed bodies stay here until the main
 * thread reads or drops them. Client state is dropped when the main thread's client is
 * garbage-collected, and the least recently used goes beyond a bound, so neither table grows
 * without end.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { AsyncClient } from "./async-client.js";
import { serializeError, type SerializedError } from "./error-transfer.js";
import type { WireResponse } from "./sync-responses.js";
import type { OperationId } from "../generated/api.js";
import type { ClientOptions, RequestOptions } from "./options.js";
import type { Page } from "./pagination.js";
import type { RawResponse, StreamingResponse } from "./responses.js";

export type WorkerRequest =
  /** `options` comes with a client's first call to this worker, and again when the worker asks. */
  | {
      kind: "call";
      client: number;
      options?: ClientOptions;
      id: OperationId;
      params: unknown;
      requestOptions?: RequestOptions;
      mode: "parsed" | "raw" | "stream";
    }
  | { kind: "read"; stream: number; as: "text" | "parse" }
  | { kind: "close"; stream: number }
  | { kind: "stats" };

/** Messages that get no answer: what the main thread garbage-collected. */
export type WorkerNotice = { kind: "release"; client: number } | { kind: "drop"; stream: number };

export type WorkerReply =
  | {
      ok: true;
      value?: unknown;
      page?: { items: unknown[]; cursor: string | null };
      raw?: WireResponse & { parsed: unknown };
      stream?: WireResponse & { handle: number };
    }
  | { ok: false; error: SerializedError }
  /** This worker does not have the client's options (it is new, or dropped them): send them again. */
  | { ok: false; needsOptions: true };

type Method = (p: unknown, o?: RequestOptions) => Promise<unknown>;

/** Clients whose calls have not been seen for longer are dropped beyond this many (they come back with their options). */
const MAX_CLIENTS = 64;

/** One AsyncClient per client (so connections are reused), and its methods by mode and operation; oldest use first. */
const clients = new Map<number, { client: AsyncClient; methods: Map<string, Method> }>();
const streams = new Map<number, StreamingResponse<unknown>>();
let nextStream = 1;

function methodFor(req: Extract<WorkerRequest, { kind: "call" }>): Method | undefined {
  let entry = clients.get(req.client);
  // Stryker disable next-line ConditionalExpression,BlockStatement: the order only decides which client sends its options again
  if (entry) {
    // Most recently used last.
    clients.delete(req.client);
    clients.set(req.client, entry);
  } else {
    if (!req.options) return undefined;
    entry = { client: new AsyncClient(req.options), methods: new Map() };
    clients.set(req.client, entry);
    if (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value!);
  }
  const name = `${req.mode}:${req.id}`;
  let fn = entry.methods.get(name);
  // Stryker disable next-line ConditionalExpression: a method looked up again is the same method
  if (!fn) {
    const c = entry.client;
    const root = req.mode === "raw" ? c.withRawResponse : req.mode === "stream" ? c.withStreamingResponse : c;
    fn = req.id.split(".").reduce((node: any, part) => node[part], root) as Method;
    entry.methods.set(name, fn);
  }
  return fn;
}

const wire = (r: RawResponse<unknown>): WireResponse => ({
  status: r.status,
  statusText: r.statusText,
  headers: [...r.headers],
  url: r.url,
});

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  try {
    if (req.kind === "stats")
      // Stryker disable next-line BooleanLiteral: workerTables reads the value alone
      return { ok: true, value: { clients: clients.size, streams: streams.size, maxClients: MAX_CLIENTS } };
    if (req.kind === "read") {
      const s = streams.get(req.stream);
      if (!s) throw new Error("This streamed body was already read or closed.");
      streams.delete(req.stream);
      return { ok: true, value: req.as === "text" ? await s.text() : await s.parse() };
    }
    if (req.kind === "close") {
      await streams.get(req.stream)?.close();
      streams.delete(req.stream);
      return { ok: true };
    }
    const method = methodFor(req);
    // Stryker disable next-line BooleanLiteral: the main thread checks that the field is there
    if (!method) return { ok: false, needsOptions: true };
    const result = await method(req.params, req.requestOptions);
    if (req.mode === "raw") {
      const r = result as RawResponse<unknown>;
      return { ok: true, raw: { ...wire(r), parsed: await r.parse() } };
    }
    if (req.mode === "stream") {
      // Stryker disable next-line UpdateOperator: handles need only differ
      const handle = nextStream++;
      streams.set(handle, result as StreamingResponse<unknown>);
      return { ok: true, stream: { ...wire(result as StreamingResponse<unknown>), handle } };
    }
    const page = result as Page<unknown>;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a result that is not an object (undefined: no content) fails the last check too
    if (result && typeof result === "object" && typeof page.hasNextPage === "function")
      return { ok: true, page: page.toJSON() as { items: unknown[]; cursor: string | null } };
    return { ok: true, value: result };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

function answer(reply: WorkerReply): void {
  // Stryker disable BlockStatement,ObjectLiteral,BooleanLiteral: a guard: replies are JSON data and plain fields, which clone
  try {
    port.postMessage(reply);
  } catch (err) {
    // An answer that cannot be cloned still answers: the main thread is waiting for it.
    port.postMessage({ ok: false, error: serializeError(err) } satisfies WorkerReply);
  }
  // Stryker restore BlockStatement,ObjectLiteral,BooleanLiteral
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on("message", (msg: WorkerRequest | WorkerNotice) => {
  if (msg.kind === "release") return void clients.delete(msg.client);
  if (msg.kind === "drop")
    // Stryker disable next-line OptionalChaining: a body is dropped only while held (reading or closing it cancels the drop)
    return void streams
      .get(msg.stream)
      ?.close()
      .finally(() => streams.delete(msg.stream));
  void handle(msg).then(answer);
});
// The main thread may now tell a stopped worker from one that has not started yet.
Atomics.store(signal, 1, 1);
