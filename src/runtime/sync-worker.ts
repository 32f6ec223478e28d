/**
 * The worker side of the sync client: an AsyncPayi per option set, running one call per
 * message. Streamed bodies stay here until the main thread asks to read them.
 */
import { runAsWorker } from "synckit";
import { AsyncPayi } from "./async-client.js";
import { serializeError, type SerializedError } from "./error-transfer.js";
import type { OperationId } from "../generated/api.js";
import type { ClientOptions, RequestOptions } from "./options.js";
import type { Page } from "./pagination.js";
import type { RawResponse, StreamingResponse } from "./responses.js";

export type WorkerRequest =
  /** `options` comes with a client's first call to this worker only. */
  | { kind: "call"; client: number; options?: ClientOptions; id: OperationId; params: unknown; requestOptions?: RequestOptions; mode: "parsed" | "raw" | "stream" }
  | { kind: "read"; stream: number; as: "text" | "parse" }
  | { kind: "close"; stream: number };

export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  url: string;
}

export type WorkerReply =
  | { ok: true; value?: unknown; page?: { items: unknown[]; cursor: string | null }; raw?: WireResponse & { parsed: unknown }; stream?: WireResponse & { handle: number } }
  | { ok: false; error: SerializedError };

type Method = (p: unknown, o?: RequestOptions) => Promise<unknown>;

/** One AsyncPayi per distinct client options (so connections are reused), and its methods by mode and operation. */
const clients = new Map<number, { client: AsyncPayi; methods: Map<string, Method> }>();
const streams = new Map<number, StreamingResponse<unknown>>();
let nextStream = 1;

function methodFor(req: Extract<WorkerRequest, { kind: "call" }>): Method {
  let entry = clients.get(req.client);
  if (!entry) {
    if (!req.options) throw new Error("The sync client's worker has no options for this client.");
    entry = { client: new AsyncPayi(req.options), methods: new Map() };
    clients.set(req.client, entry);
  }
  const name = `${req.mode}:${req.id}`;
  let fn = entry.methods.get(name);
  if (!fn) {
    const c = entry.client;
    const root = req.mode === "raw" ? c.withRawResponse : req.mode === "stream" ? c.withStreamingResponse : c;
    fn = req.id.split(".").reduce((node: any, part) => node[part], root) as Method;
    entry.methods.set(name, fn);
  }
  return fn;
}

const wire = (r: RawResponse<unknown>): WireResponse => ({ status: r.status, statusText: r.statusText, headers: [...r.headers], url: r.url });

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  try {
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
    const result = await methodFor(req)(req.params, req.requestOptions);
    if (req.mode === "raw") {
      const r = result as RawResponse<unknown>;
      return { ok: true, raw: { ...wire(r), parsed: await r.parse() } };
    }
    if (req.mode === "stream") {
      const handle = nextStream++;
      streams.set(handle, result as StreamingResponse<unknown>);
      return { ok: true, stream: { ...wire(result as StreamingResponse<unknown>), handle } };
    }
    const page = result as Page<unknown>;
    if (result && typeof result === "object" && typeof page.hasNextPage === "function") return { ok: true, page: page.toJSON() as { items: unknown[]; cursor: string | null } };
    return { ok: true, value: result };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

runAsWorker(handle);
