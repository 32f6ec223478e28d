/**
 * The client of every API call, each returning a promise; namespaces and methods come from the
 * operation table. AsyncPayi (src/client.ts) is this with the ingest helpers plugged in.
 */
import createClient, { createQuerySerializer } from "openapi-fetch";
import { operations } from "../generated/operations.js";
import type { OperationId } from "../generated/api.js";
import { OutgoingRequest } from "./outgoing-request.js";
import { buildTree, type AsyncApi, type RawApi, type StreamingApi } from "./facade.js";
import { makeLogger, type Logger } from "./logger.js";
import { resolveOptions, type ClientOptions, type RequestOptions, type ResolvedOptions } from "./options.js";
import { call, type CallContext } from "./request.js";
import { PayiError } from "./errors.js";

const ids = Object.keys(operations) as OperationId[];

/** A page's main thread (a document and a navigator), as opposed to Node, Deno, Bun, workers and edge runtimes. */
function isBrowser(): boolean {
  const g = globalThis as { window?: { document?: unknown }; navigator?: unknown };
  return (
    typeof g.window === "object" &&
    g.window !== null &&
    typeof g.window.document !== "undefined" &&
    typeof g.navigator !== "undefined"
  );
}

/** Each client's logger (the key redacted from what it writes), for what is built on the client. */
const loggers = new WeakMap<AsyncClient, Logger>();
export const clientLogger = (client: AsyncClient): Logger | undefined => loggers.get(client);

export interface AsyncClient extends AsyncApi {}

export class AsyncClient {
  /** The same calls, resolving to the HTTP response with `status`, `headers` and `parse()`. */
  readonly withRawResponse!: RawApi;
  /** The same calls, resolving as soon as headers arrive; the body is read on demand. */
  readonly withStreamingResponse!: StreamingApi;
  readonly #options: ResolvedOptions;
  readonly #given: ClientOptions;

  constructor(options: ClientOptions = {}) {
    if (isBrowser() && !options.dangerouslyAllowBrowser) {
      throw new PayiError(
        "AsyncPayi is refusing to run in a browser: the page would hand your Pay-i API key to anyone who opens it. " +
          "Call Pay-i from your server instead; if the key is safe to expose (or the baseURL is a proxy of yours), pass `dangerouslyAllowBrowser: true`.",
      );
    }
    this.#given = { ...options };
    const resolved = resolveOptions(options);
    this.#options = resolved;
    // The query serializer made once here: given as options, openapi-fetch would make one per call.
    const http = createClient<any>({
      baseUrl: resolved.baseURL,
      Request: OutgoingRequest as unknown as typeof Request,
      querySerializer: createQuerySerializer(),
    });
    const ctx: CallContext = {
      options: resolved,
      http,
      logger: makeLogger(resolved.logLevel, resolved.logger ?? console, resolved.apiKey),
    };
    const bind =
      (mode: "parsed" | "raw" | "stream") => (id: OperationId) => (params?: unknown, opts?: RequestOptions) =>
        call(ctx, id, params, opts, mode);
    Object.assign(this, buildTree(ids, bind("parsed")));
    loggers.set(this, ctx.logger);
    Object.defineProperty(this, "withRawResponse", { value: buildTree(ids, bind("raw")), enumerable: false });
    Object.defineProperty(this, "withStreamingResponse", { value: buildTree(ids, bind("stream")), enumerable: false });
  }

  /** The base URL requests go to. */
  get baseURL(): string {
    return this.#options.baseURL;
  }

  /** A new client with these options changed and the rest kept. */
  withOptions(options: ClientOptions): this {
    // Through the constructor rather than by name: it makes the subclass (AsyncPayi) when called
    // on one, and a class that names itself inside its body is renamed by the bundler, which
    // browser stack traces would show.
    const Client = this.constructor as new (options: ClientOptions) => this;
    return new Client({ ...this.#given, apiKey: this.#options.apiKey, baseURL: this.#options.baseURL, ...options });
  }

  /** Keeps the key out of console.log and util.inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `AsyncPayi { baseURL: ${JSON.stringify(this.#options.baseURL)} }`;
  }
  toJSON(): { baseURL: string } {
    return { baseURL: this.#options.baseURL };
  }
}
