/**
 * Payi: the synchronous client, for scripts. Each call runs on an AsyncPayi in the process's
 * one worker thread (sync-bridge.ts blocks until it answers), so both clients share one
 * implementation. Node only; elsewhere construction points to AsyncPayi and importing stays harmless.
 */
import { operations } from "../generated/operations.js";
import type { OperationId } from "../generated/api.js";
import { PayiError, PayiValidationError } from "./errors.js";
import { reviveError } from "./error-transfer.js";
import { buildTree, type SyncApi, type SyncRawApi, type SyncStreamingApi } from "./facade.js";
import { resolveOptions, type ClientOptions, type RequestOptions, type SyncRequestOptions } from "./options.js";
import { normalize } from "./params.js";
import { maxBackoffBudgetMs } from "./retry.js";
import { bridge, UncopyableError, type WorkerBridge } from "./sync-bridge.js";
import { SyncPage } from "./sync-page.js";
import { Timeout } from "./timeout.js";
import { SyncRawResponse, SyncStreamingResponse } from "./sync-responses.js";
import type { WorkerNotice, WorkerReply, WorkerRequest } from "./sync-worker.js";

export { SyncRawResponse, SyncStreamingResponse, type SyncRequestOptions };

/** The options of AsyncPayi that can cross a thread. */
export type SyncClientOptions = Omit<ClientOptions, "fetch" | "logger">;

const ids = Object.keys(operations) as OperationId[];

function nodeBuiltin<T>(name: string): T | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return p?.getBuiltinModule?.(name) as T | undefined;
}

let threads: typeof import("node:worker_threads") | undefined;

/** The worker, started on first use or after the last one stopped. */
function worker(): WorkerBridge {
  threads ??= nodeBuiltin<typeof import("node:worker_threads")>("node:worker_threads");
  const node = threads;
  // Stryker disable next-line ConditionalExpression,StringLiteral: every Node this runs on (20.16 and later) has worker threads, fs and url
  if (!node) throw new PayiError("Payi needs Node.js 20.16 or later (worker threads); use AsyncPayi here.");
  // The script is looked up only when a worker starts, not on every call.
  return bridge(node, () => {
    const fs = nodeBuiltin<typeof import("node:fs")>("node:fs");
    const url = nodeBuiltin<typeof import("node:url")>("node:url");
    // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: every Node this runs on (20.16 and later) has fs and url
    if (!fs || !url) throw new PayiError("Payi needs Node.js 20.16 or later (worker threads); use AsyncPayi here.");
    return workerPath(fs, url);
  });
}

/**
 * Built, the worker is sync-worker.js beside this file; from sources, a shim that runs the .ts
 * with tsx. Bundled, neither is there (or this module has no file URL): Payi is refused.
 */
function workerPath(fs: typeof import("node:fs"), url: typeof import("node:url")): string {
  let path: string | undefined;
  try {
    const js = url.fileURLToPath(new URL("./sync-worker.js", import.meta.url));
    path = fs.existsSync(js) ? js : url.fileURLToPath(new URL("./sync-worker-tsx.mjs", import.meta.url));
  } catch {
    // No file URL for this module: it was bundled.
  }
  // Stryker disable next-line ConditionalExpression: with no path, fs.existsSync(undefined) is false and refuses too
  if (!path || !fs.existsSync(path)) {
    throw new PayiError(
      "Payi cannot run from a bundle: it starts a worker thread from the payi package's own file dist/sync-worker.js, which the bundle left behind. " +
        "Keep payi out of the bundle (esbuild: --external:payi; webpack: externals; Vite/Rollup: external) and install it beside it, or use AsyncPayi, which bundles.",
    );
  }
  return path;
}

let nextClientId = 1;

/** For tests: the clients and streamed bodies the worker holds. */
export function workerTables(): { clients: number; streams: number; maxClients: number } {
  const reply = worker().call<WorkerReply>({ kind: "stats" } satisfies WorkerRequest, 10_000);
  return (reply as { value: { clients: number; streams: number; maxClients: number } }).value;
}

/** A client garbage-collected, or a streamed body never read: its state in the worker goes too. */
const collected = new FinalizationRegistry<{ to: WorkerBridge | undefined; notice: WorkerNotice }>(({ to, notice }) =>
  // Stryker disable next-line OptionalChaining: every registration names the worker it was made with
  to?.post(notice),
);

export interface Payi extends SyncApi {}

export class Payi {
  /** The same calls, returning the HTTP response with `status`, `headers` and `parse()`. */
  readonly withRawResponse!: SyncRawApi;
  /** The same calls, returning at the headers; the body is read from the worker when asked. */
  readonly withStreamingResponse!: SyncStreamingApi;
  readonly #options: SyncClientOptions;
  readonly #id: number;
  /** The worker that holds this client's options, if any. */
  #knownBy: WorkerBridge | undefined;
  #defaultBudget: number | undefined;

  constructor(options: SyncClientOptions = {}) {
    for (const key of ["fetch", "logger"] as const) {
      if ((options as ClientOptions)[key] !== undefined) {
        throw new PayiError(
          `Payi cannot take \`${key}\`: it runs in a worker thread, where a function cannot cross. Use AsyncPayi for a custom ${key}.`,
        );
      }
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: every Node this runs on (20.16 and later) has worker threads, fs and url
    if (!nodeBuiltin("node:worker_threads")) {
      throw new PayiError(
        // Stryker disable next-line StringLiteral: every Node this runs on (20.16 and later) has worker threads, fs and url
        "Payi, the synchronous client, needs Node.js worker threads, which this runtime does not have; use AsyncPayi.",
      );
    }
    const fs = nodeBuiltin<typeof import("node:fs")>("node:fs");
    const url = nodeBuiltin<typeof import("node:url")>("node:url");
    // Refused here rather than at the first call: a bundle that left the worker behind.
    // Stryker disable next-line ConditionalExpression,LogicalOperator: every Node this runs on (20.16 and later) has fs and url
    if (fs && url) workerPath(fs, url);
    const resolved = resolveOptions(options);
    const timeout = resolved.timeout;
    // Plain data only: the options cross to the worker (once per worker, with this client's first call there).
    this.#options = {
      ...options,
      apiKey: resolved.apiKey,
      baseURL: resolved.baseURL,
      timeout: { timeout: timeout.timeout, connect: timeout.connect } as Timeout,
    };
    // Stryker disable next-line UpdateOperator: ids need only differ
    this.#id = nextClientId++;
    const bind =
      (mode: "parsed" | "raw" | "stream") => (id: OperationId) => (params?: unknown, opts?: SyncRequestOptions) =>
        this.#call(id, params, opts, mode);
    // Stryker disable next-line StringLiteral: the worker calls a method of the client itself for any mode but raw and stream
    Object.assign(this, buildTree(ids, bind("parsed")));
    Object.defineProperty(this, "withRawResponse", { value: buildTree(ids, bind("raw")), enumerable: false });
    Object.defineProperty(this, "withStreamingResponse", { value: buildTree(ids, bind("stream")), enumerable: false });
  }

  get baseURL(): string {
    return this.#options.baseURL!;
  }

  withOptions(options: SyncClientOptions): this {
    // Through the constructor, as AsyncPayi does: a subclass stays itself, and the class is not renamed by the bundler.
    const Client = this.constructor as new (options: SyncClientOptions) => this;
    return new Client({ ...this.#options, ...options });
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Payi { baseURL: ${JSON.stringify(this.baseURL)} }`;
  }
  toJSON(): { baseURL: string } {
    return { baseURL: this.baseURL };
  }

  /** Longer than every attempt and every wait the call may make, so only a stuck worker times out. */
  #budget(opts?: SyncRequestOptions): number {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the kept budget is the one computed from the client's options
    if (opts?.timeout === undefined && opts?.maxRetries === undefined)
      return (this.#defaultBudget ??= this.#budget({ maxRetries: this.#options.maxRetries ?? 2 }));
    // Stryker disable next-line OptionalChaining: opts is given here (the line above handles none)
    const t = Timeout.from(opts?.timeout ?? this.#options.timeout);
    // Stryker disable next-line OptionalChaining: opts is given here
    const retries = opts?.maxRetries ?? this.#options.maxRetries ?? 2;
    return (retries + 1) * (t.timeout + t.connect) + maxBackoffBudgetMs(retries) + 5_000;
  }

  #toWorker(req: WorkerRequest, budget: number, to: WorkerBridge = worker()): Extract<WorkerReply, { ok: true }> {
    let reply: WorkerReply;
    // Stryker disable next-line ConditionalExpression: a read or close that carries the options too is answered the same
    if (req.kind === "call") {
      // A worker that has not seen this client gets its options with the call.
      // Stryker disable next-line ConditionalExpression: options sent again are the same options
      if (this.#knownBy !== to) {
        this.#knownBy = to;
        collected.register(this, { to, notice: { kind: "release", client: this.#id } }, this);
        req = { ...req, options: this.#options };
      }
      reply = to.call<WorkerReply>(req, budget);
      if (!reply.ok && "needsOptions" in reply)
        reply = to.call<WorkerReply>({ ...req, options: this.#options }, budget);
    } else {
      reply = to.call<WorkerReply>(req, budget);
    }
    if (!reply.ok)
      // Stryker disable next-line StringLiteral: a guard: a worker just given the options does not ask for them again
      throw "needsOptions" in reply
        ? // Stryker disable next-line StringLiteral: a guard, as above
          new PayiError("The sync client's worker lost this client's options.")
        : reviveError(reply.error);
    return reply;
  }

  #call(
    id: OperationId,
    params: unknown,
    opts: SyncRequestOptions | undefined,
    mode: "parsed" | "raw" | "stream",
  ): unknown {
    if (opts && "signal" in opts && (opts as RequestOptions).signal !== undefined) {
      throw new PayiError(
        "Payi cannot take a `signal`: a synchronous call cannot be aborted from the same thread. Use AsyncPayi, or a timeout.",
      );
    }
    const budget = this.#budget(opts);
    const requestOptions =
      opts?.timeout instanceof Timeout
        ? { ...opts, timeout: { timeout: opts.timeout.timeout, connect: opts.timeout.connect } as Timeout }
        : opts;
    const run = (p: unknown, to = worker()) => {
      try {
        return this.#toWorker({ kind: "call", client: this.#id, id, params: p, requestOptions, mode }, budget, to);
      } catch (err) {
        // Params the thread boundary cannot copy (a function, a getter that throws) are named
        // as the async client names them; nothing was sent.
        if (!(err instanceof UncopyableError)) throw err;
        const { issues } = normalize(operations[id], (p ?? {}) as Record<string, unknown>);
        throw new PayiValidationError(
          `client.${id}`,
          issues.length ? issues : [{ path: "", message: "cannot be copied to the sync client's worker thread" }],
        );
      }
    };
    const to = worker();
    const reply = run(params, to);
    if (reply.page) {
      const base = (params ?? {}) as Record<string, unknown>;
      const fetchPage = (cursor: string, previous: SyncPage<unknown>): SyncPage<unknown> =>
        new SyncPage(
          (run({ ...base, cursor }) as { page: { items: unknown[]; cursor: string | null } }).page,
          fetchPage,
          cursor,
          previous,
        );
      return new SyncPage(reply.page, fetchPage, base.cursor as string | undefined);
    }
    if (reply.raw) {
      const parsed = reply.raw.parsed;
      return new SyncRawResponse(reply.raw, () => parsed);
    }
    if (reply.stream) {
      const handle = reply.stream.handle;
      // Read from the worker that answered, which holds the body: a new worker would not have it.
      const holder = to;
      const response: SyncStreamingResponse<unknown> = new SyncStreamingResponse(
        reply.stream,
        (as) => (
          collected.unregister(response), this.#toWorker({ kind: "read", stream: handle, as }, budget, holder).value
        ),
        () => void (collected.unregister(response), this.#toWorker({ kind: "close", stream: handle }, budget, holder)),
      );
      collected.register(response, { to: holder, notice: { kind: "drop", stream: handle } }, response);
      return response;
    }
    return reply.value;
  }
}
