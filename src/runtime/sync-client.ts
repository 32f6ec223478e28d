/**
 * Payi: the synchronous client, for scripts. Each call runs on an AsyncPayi in a worker
 * thread (synckit blocks until it answers), so both clients share one implementation.
 * Node only; elsewhere construction points to AsyncPayi and importing stays harmless.
 */
import { operations } from "../generated/operations.js";
import type { OperationId } from "../generated/api.js";
import { PayiError } from "./errors.js";
import { reviveError } from "./error-transfer.js";
import { buildTree, type SyncApi, type SyncRawApi, type SyncStreamingApi } from "./facade.js";
import { resolveOptions, type ClientOptions, type RequestOptions } from "./options.js";
import { maxBackoffBudgetMs } from "./retry.js";
import { SyncPage } from "./sync-page.js";
import { Timeout } from "./timeout.js";
import type { WireResponse, WorkerReply, WorkerRequest } from "./sync-worker.js";

/** The options of AsyncPayi that can cross a thread. */
export type SyncClientOptions = Omit<ClientOptions, "fetch" | "logger">;
export type SyncRequestOptions = Omit<RequestOptions, "signal">;

type SyncFn = (req: WorkerRequest) => WorkerReply;
const ids = Object.keys(operations) as OperationId[];

/**
 * One worker per wait budget, created on first use and shared by every client, with the
 * clients whose options it holds: options cross the thread once per worker, not per call.
 */
const workers = new Map<number, { send: SyncFn; clients: Set<number> }>();

/** A small id per distinct set of options, so a call names its client in a few bytes. */
const clientIds = new Map<string, number>();

function nodeBuiltin<T>(name: string): T | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return p?.getBuiltinModule?.(name) as T | undefined;
}

function worker(budgetMs: number): { send: SyncFn; clients: Set<number> } {
  let w = workers.get(budgetMs);
  if (w) return w;
  const mod = nodeBuiltin<typeof import("node:module")>("node:module");
  const fs = nodeBuiltin<typeof import("node:fs")>("node:fs");
  const url = nodeBuiltin<typeof import("node:url")>("node:url");
  if (!mod || !fs || !url) throw new PayiError("Payi needs Node.js 20.16 or later (worker threads); use AsyncPayi here.");
  const require = mod.createRequire(import.meta.url);
  const { startWorkerThread } = require("synckit") as typeof import("synckit");
  // Built, the worker is sync-worker.js beside this file; from sources, a shim that runs the .ts with tsx.
  const js = url.fileURLToPath(new URL("./sync-worker.js", import.meta.url));
  const path = fs.existsSync(js) ? js : url.fileURLToPath(new URL("./sync-worker-tsx.mjs", import.meta.url));
  w = { send: startWorkerThread<(req: WorkerRequest) => Promise<WorkerReply>>(path, { timeout: budgetMs }) as SyncFn, clients: new Set() };
  workers.set(budgetMs, w);
  return w;
}

export interface Payi extends SyncApi {}

export class Payi {
  /** The same calls, returning the HTTP response with `status`, `headers` and `parse()`. */
  readonly withRawResponse!: SyncRawApi;
  /** The same calls, returning at the headers; the body is read from the worker when asked. */
  readonly withStreamingResponse!: SyncStreamingApi;
  readonly #options: SyncClientOptions;
  readonly #id: number;

  constructor(options: SyncClientOptions = {}) {
    for (const key of ["fetch", "logger"] as const) {
      if ((options as ClientOptions)[key] !== undefined) {
        throw new PayiError(`Payi cannot take \`${key}\`: it runs in a worker thread, where a function cannot cross. Use AsyncPayi for a custom ${key}.`);
      }
    }
    if (!nodeBuiltin("node:worker_threads")) {
      throw new PayiError("Payi, the synchronous client, needs Node.js worker threads, which this runtime does not have; use AsyncPayi.");
    }
    const resolved = resolveOptions(options);
    const timeout = resolved.timeout;
    // Plain data only: the options are sent to the worker with every call.
    this.#options = { ...options, apiKey: resolved.apiKey, baseURL: resolved.baseURL, timeout: { timeout: timeout.timeout, connect: timeout.connect } as Timeout };
    const key = JSON.stringify(this.#options);
    let id = clientIds.get(key);
    if (id === undefined) clientIds.set(key, (id = clientIds.size + 1));
    this.#id = id;
    const bind = (mode: "parsed" | "raw" | "stream") => (id: OperationId) => (params?: unknown, opts?: SyncRequestOptions) => this.#call(id, params, opts, mode);
    Object.assign(this, buildTree(ids, bind("parsed")));
    Object.defineProperty(this, "withRawResponse", { value: buildTree(ids, bind("raw")), enumerable: false });
    Object.defineProperty(this, "withStreamingResponse", { value: buildTree(ids, bind("stream")), enumerable: false });
  }

  get baseURL(): string {
    return this.#options.baseURL!;
  }

  withOptions(options: SyncClientOptions): Payi {
    return new Payi({ ...this.#options, ...options });
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Payi { baseURL: ${JSON.stringify(this.baseURL)} }`;
  }
  toJSON(): { baseURL: string } {
    return { baseURL: this.baseURL };
  }

  /** Longer than every attempt and every wait the call may make, so only a stuck worker times out. */
  #budget(opts?: SyncRequestOptions): number {
    const t = Timeout.from(opts?.timeout ?? this.#options.timeout);
    const retries = opts?.maxRetries ?? this.#options.maxRetries ?? 2;
    return (retries + 1) * (t.timeout + t.connect) + maxBackoffBudgetMs(retries) + 5_000;
  }

  #send(req: WorkerRequest, budget: number): Extract<WorkerReply, { ok: true }> {
    let reply: WorkerReply;
    try {
      const w = worker(budget);
      if (req.kind === "call" && !w.clients.has(req.client)) {
        reply = w.send({ ...req, options: this.#options });
        // Known once a call succeeded; after a failure the options simply cross again.
        if (reply.ok) w.clients.add(req.client);
      } else {
        reply = w.send(req);
      }
    } catch (err) {
      // A worker that overran its budget is replaced; its late answer can never reach a later call.
      workers.delete(budget);
      throw new PayiError(`The sync client's worker did not answer: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!reply.ok) throw reviveError(reply.error);
    return reply;
  }

  #call(id: OperationId, params: unknown, opts: SyncRequestOptions | undefined, mode: "parsed" | "raw" | "stream"): unknown {
    if (opts && "signal" in opts && (opts as RequestOptions).signal !== undefined) {
      throw new PayiError("Payi cannot take a `signal`: a synchronous call cannot be aborted from the same thread. Use AsyncPayi, or a timeout.");
    }
    const budget = this.#budget(opts);
    const requestOptions = opts?.timeout instanceof Timeout ? { ...opts, timeout: { timeout: opts.timeout.timeout, connect: opts.timeout.connect } as Timeout } : opts;
    const run = (p: unknown) => this.#send({ kind: "call", client: this.#id, id, params: p, requestOptions, mode }, budget);
    const reply = run(params);
    if (reply.page) {
      const base = (params ?? {}) as Record<string, unknown>;
      const fetchPage = (cursor: string, previous: SyncPage<unknown>): SyncPage<unknown> =>
        new SyncPage((run({ ...base, cursor }) as { page: { items: unknown[]; cursor: string | null } }).page, fetchPage, cursor, previous);
      return new SyncPage(reply.page, fetchPage, base.cursor as string | undefined);
    }
    if (reply.raw) {
      const parsed = reply.raw.parsed;
      return new SyncRawResponse(reply.raw, () => parsed);
    }
    if (reply.stream) {
      const handle = reply.stream.handle;
      return new SyncStreamingResponse(reply.stream, (as) => this.#send({ kind: "read", stream: handle, as }, budget).value, () => void this.#send({ kind: "close", stream: handle }, budget));
    }
    return reply.value;
  }
}

/** What `Payi.withRawResponse` returns. */
export class SyncRawResponse<T> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly #parse: () => T;
  constructor(r: WireResponse, parse: () => T) {
    this.status = r.status;
    this.statusText = r.statusText;
    this.headers = new Headers(r.headers);
    this.url = r.url;
    this.#parse = parse;
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  parse(): T {
    return this.#parse();
  }
}

/** What `Payi.withStreamingResponse` returns: the body stays in the worker until read (once) or closed. */
export class SyncStreamingResponse<T> extends SyncRawResponse<T> {
  readonly #read: (as: "text" | "parse") => unknown;
  readonly #close: () => void;
  constructor(r: WireResponse, read: (as: "text" | "parse") => unknown, close: () => void) {
    super(r, () => read("parse") as T);
    this.#read = read;
    this.#close = close;
  }
  text(): string {
    return this.#read("text") as string;
  }
  json(): unknown {
    return JSON.parse(this.text());
  }
  close(): void {
    this.#close();
  }
}
