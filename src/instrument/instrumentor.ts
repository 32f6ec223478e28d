/**
 * `instrument(client, options)`: the instrumentor. It hands provider clients out instrumented
 * (copies made by their SDK's own `withOptions`, the originals untouched), holds the root
 * context, turns reported calls into events and delivers them off the callers' path.
 */
import type { IngestUnitsParams, XproxyResult } from "../generated/api.js";
import type { IngestQueue, IngestQueueOptions } from "../ingest/queue.js";
import type { AsyncPayi } from "../client.js";
import { PayiError } from "../runtime/errors.js";
import type { CallReport, InstrumentCore } from "./call.js";
import { addProxyHeaders, applyHeaders, checkContext, currentContext, track, type PayiContext } from "./context.js";
import { Delivery, type DeliveryMode } from "./delivery.js";
import { buildEvent, normalizeHost, type EventOptions, type ModelMapping } from "./event.js";
import { deferred } from "./deferred.js";
import { withInstrumentedFetch, type FetchOptionClient } from "./http.js";
import { anthropicProvider, callerSignalMiddleware } from "./providers/anthropic.js";
import { isAzureClient, openaiProvider } from "./providers/openai.js";
import { aiSdkMiddleware, type PayiLanguageModelMiddleware } from "./providers/ai-sdk.js";
import { instrumentBedrock, type BedrockClientLike, type BedrockOptions } from "./providers/bedrock.js";
import { googleFetch } from "./providers/google.js";
import { GenAiSpanProcessor, SpanProcessors } from "./providers/otel.js";

export interface InstrumentOptions {
  /** The root context: what every call is attributed to unless a `track()` scope or the call says otherwise. */
  context?: PayiContext;
  /**
   * "ingest" (default): events go to an ingest queue in batches. "direct": each event is its
   * own `ingest.units` call (still not awaited by the provider call), and `result()` gives its
   * `xproxy_result`.
   */
  mode?: DeliveryMode;
  /** Calls go through Pay-i's proxy: the context travels as `xProxy-*` headers and nothing is ingested. */
  proxy?: boolean;
  /** "ingest" mode: your ingest queue (with its spool, if any; kept open at shutdown), or options for the one made here. */
  queue?: IngestQueue | IngestQueueOptions;
  /** Price a model (Azure: a deployment) as another resource or category. */
  modelMappings?: ModelMapping[];
  /** Send request and response bodies with each event. Default true; a context's `log_prompt_and_response` beats it. */
  logPromptAndResponse?: boolean;
  /** Keep inline base64 images in logged bodies. Default false: they are replaced. */
  instrumentInlineData?: boolean;
  /** Instrumentation faults and delivery failures; never thrown into your code. Default: a warning on the console, at most one per 10 s. */
  onError?: (error: Error, event?: IngestUnitsParams) => void;
  /** "direct" mode: how many answers' results are kept for `result()`. Default 10 000. */
  keepResults?: number;
}

function defaultOnError(): (error: Error) => void {
  let last = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < 10_000) {
      suppressed++;
      return;
    }
    console.warn(
      `payi/instrument: ${error.message}${suppressed ? ` (and ${suppressed} more since the last warning)` : ""}`,
    );
    last = now;
    suppressed = 0;
  };
}

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export class Instrumentor {
  readonly #root: PayiContext;
  readonly #delivery: Delivery;
  readonly #events: EventOptions;
  readonly #onError: (error: Error, event?: IngestUnitsParams) => void;
  readonly #shutdownHooks = new Set<() => void>();
  readonly #flushHooks = new Set<() => void>();
  readonly #core: InstrumentCore;
  readonly #spans = new SpanProcessors();

  constructor(client: AsyncPayi, options: InstrumentOptions = {}) {
    if (
      !client ||
      typeof client !== "object" ||
      typeof client.ingest?.units !== "function" ||
      typeof client.ingest?.queue !== "function"
    ) {
      throw new TypeError("instrument: client must be an AsyncPayi");
    }
    if (!options || typeof options !== "object") throw new TypeError("instrument: options must be an object");
    const mode = options.mode ?? "ingest";
    if (mode !== "ingest" && mode !== "direct")
      throw new TypeError(`instrument: mode must be "ingest" or "direct", got ${JSON.stringify(options.mode)}`);
    if (options.proxy !== undefined && typeof options.proxy !== "boolean")
      throw new TypeError("instrument: proxy must be a boolean");
    if (options.onError !== undefined && typeof options.onError !== "function")
      throw new TypeError("instrument: onError must be a function");
    if (options.queue !== undefined && (typeof options.queue !== "object" || options.queue === null))
      throw new TypeError("instrument: queue must be an IngestQueue or queue options");
    const keep = options.keepResults ?? 10_000;
    if (!Number.isInteger(keep) || keep < 1)
      throw new TypeError(
        `instrument: keepResults must be a positive integer, got ${JSON.stringify(options.keepResults)}`,
      );
    const mappings = options.modelMappings ?? [];
    if (!Array.isArray(mappings)) throw new TypeError("instrument: modelMappings must be an array");
    mappings.forEach((m, i) => {
      if (!m || typeof m.model !== "string" || !m.model)
        throw new TypeError(`instrument: modelMappings[${i}].model must be a non-empty string`);
      if (!m.price_as_category && !m.price_as_resource)
        throw new TypeError(`instrument: modelMappings[${i}] needs price_as_category or price_as_resource`);
    });
    for (const k of ["logPromptAndResponse", "instrumentInlineData"] as const) {
      if (options[k] !== undefined && typeof options[k] !== "boolean")
        throw new TypeError(`instrument: ${k} must be a boolean`);
    }
    const root = { ...checkContext(options.context, "instrument: context") };
    if (options.proxy !== undefined) root.proxy = options.proxy;
    this.#root = root;
    this.#onError = options.onError ?? defaultOnError();
    this.#events = {
      modelMappings: mappings.map((m) => ({ ...m, host: m.host ? normalizeHost(m.host) : undefined })),
      instrumentInlineData: options.instrumentInlineData ?? false,
      logPromptAndResponse: options.logPromptAndResponse ?? true,
    };
    this.#delivery = new Delivery(client, {
      mode,
      queue: options.queue,
      keepResults: keep,
      onError: (e, ev) => this.#fault(e, ev),
    });
    this.#core = {
      context: (overrides) => {
        this.#spans.noteDirectCall();
        const ctx = currentContext(this.#root);
        return overrides ? applyHeaders(ctx, overrides) : ctx;
      },
      report: (call, ctx) => {
        this.#spans.noteResponseId(call.responseId);
        this.#report(call, ctx);
      },
      proxyHeaders: (ctx, headers) => addProxyHeaders(ctx, headers),
      fault: (e) => this.#fault(toError(e)),
      onShutdown: (fn) => {
        this.#shutdownHooks.add(fn);
        return () => void this.#shutdownHooks.delete(fn);
      },
      onFlush: (fn) => {
        this.#flushHooks.add(fn);
        return () => void this.#flushHooks.delete(fn);
      },
    };
  }

  /** For provider modules built on this instrumentor (see call.ts). */
  get core(): InstrumentCore {
    return this.#core;
  }

  #fault(error: Error, event?: IngestUnitsParams): void {
    try {
      this.#onError(error, event);
    } catch {
      // A throwing onError must not reach the provider call.
    }
  }

  #report(call: CallReport, ctx: PayiContext): void {
    try {
      this.#delivery.send(buildEvent(call, ctx, this.#events));
    } catch (err) {
      this.#fault(toError(err));
    }
  }

  /** An instrumented copy of an `openai` client (`OpenAI` or `AzureOpenAI`); the original is untouched. */
  openai<C extends FetchOptionClient>(client: C): C {
    const azure = isAzureClient(client);
    // AzureOpenAI's withOptions() does not carry these over by itself.
    const extra = azure
      ? {
          apiVersion: (client as { apiVersion?: string }).apiVersion,
          deployment: (client as { deploymentName?: string }).deploymentName,
        }
      : {};
    return withInstrumentedFetch(this.#core, openaiProvider(azure), client, "instrument.openai", extra);
  }

  /** An instrumented copy of an `@anthropic-ai/sdk` client; the original is untouched. */
  anthropic<C extends FetchOptionClient>(client: C): C {
    const middleware = (client as { middleware?: unknown }).middleware;
    return withInstrumentedFetch(
      this.#core,
      anthropicProvider(),
      client,
      "instrument.anthropic",
      Array.isArray(middleware) ? { middleware: [...middleware, callerSignalMiddleware] } : {},
    );
  }

  /**
   * Instruments this `@aws-sdk/client-bedrock-runtime` client through its own middleware
   * stack (that instance only) and returns it: Converse, ConverseStream, InvokeModel and
   * InvokeModelWithResponseStream are tracked.
   */
  bedrock<C extends BedrockClientLike>(client: C, options?: BedrockOptions): C {
    return instrumentBedrock(this.#core, client, options);
  }

  /**
   * A fetch for `@google/genai` (`new GoogleGenAI({ httpOptions: { fetch: pi.googleFetch() } })`)
   * that tracks generateContent and generateContentStream; `fetch` is the one it calls (default: the platform's).
   */
  googleFetch(fetch?: typeof globalThis.fetch): typeof globalThis.fetch {
    return googleFetch(this.#core, fetch);
  }

  /** A middleware for the AI SDK's `wrapLanguageModel({ model, middleware: pi.aiSdk() })`. */
  aiSdk(): PayiLanguageModelMiddleware {
    return aiSdkMiddleware(this.#core);
  }

  /**
   * An OpenTelemetry `SpanProcessor` that tracks every finished span with the GenAI
   * conventions' attributes; calls this instrumentor tracks directly are not counted again.
   */
  spanProcessor(): GenAiSpanProcessor {
    return this.#spans.add(
      new GenAiSpanProcessor({
        context: () => currentContext(this.#root),
        report: (call, ctx) => this.#report(call, ctx),
        fault: (e) => this.#fault(toError(e)),
        flush: () => this.flush(),
      }),
    );
  }

  /** Runs `fn` in a scope with this context (see `track`). */
  track<T>(context: PayiContext, fn: () => T): T {
    return track(context, fn);
  }

  /** The context in force here: the root context with the current `track()` scopes. */
  getContext(): PayiContext {
    return structuredClone(currentContext(this.#root));
  }

  /**
   * The `xproxy_result` (cost, limit state) of a tracked call, by its answer (a chat
   * completion, a message, a response, ...) or the answer's id. In proxy mode the answer
   * carries it; in "direct" mode it resolves when Pay-i has answered the event.
   */
  async result(response: unknown): Promise<XproxyResult> {
    if (response && typeof response === "object" && "xproxy_result" in response)
      return (response as { xproxy_result: XproxyResult }).xproxy_result;
    const id = typeof response === "string" ? response : (response as { id?: unknown } | null)?.id;
    if (typeof id !== "string" || !id)
      throw new PayiError("instrument.result: expected a provider answer with an id, or the id");
    // The call is reported just after its caller got the answer.
    await deferred.idle();
    return this.#delivery.result(id);
  }

  #run(hooks: Iterable<() => void>): void {
    for (const fn of hooks) {
      try {
        fn();
      } catch (err) {
        this.#fault(toError(err));
      }
    }
  }

  /**
   * Resolves when the event of every call that ended before it is delivered or reported to
   * onError (with a spool: or kept in it for a later try). A call still going on (a stream
   * being read, an attempt its SDK will retry) is not cut short: its event follows its end.
   * An answer whose body nobody has started to read (a raw `asResponse()`) is reported as it
   * stands, with `system.failure` "response_unread"; reading it later adds no event.
   */
  async flush(): Promise<void> {
    // Once deferred work is done, the answers watched as unread are those untouched for a turn at least.
    await deferred.idle();
    this.#run([...this.#flushHooks]);
    await deferred.idle();
    await this.#delivery.flush();
  }

  /**
   * Reports the calls still going on as they stand (a stream being read: what was seen, with
   * `system.failure` "instrument_shutdown"; an attempt awaiting its SDK's retry: that attempt;
   * an answer nobody has started to read: as flush() does),
   * flushes, and stops an ingest queue made here (one of yours stays open).
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    await deferred.idle();
    this.#run([...this.#flushHooks, ...this.#shutdownHooks]);
    await deferred.idle();
    await this.#delivery.shutdown(options);
  }
}

/** An instrumentor delivering through `client` (an `AsyncPayi`). */
export function instrument(client: AsyncPayi, options: InstrumentOptions = {}): Instrumentor {
  return new Instrumentor(client, options);
}
