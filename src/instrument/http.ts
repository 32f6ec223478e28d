/**
 * The fetch an instrumented client is given (through its SDK's `fetch` option): it times each
 * call, reads the answer as it passes by (JSON or server-sent events) and reports the call,
 * without holding the caller up or changing what the caller gets (except for the extra usage
 * chunk an OpenAI stream sends when the instrumentation asked for it).
 *
 * A provider module describes its endpoints as an `HttpProvider`; everything else passes
 * through untouched except the `xProxy-*` headers, which never reach a provider.
 *
 * Retries: the provider SDK calls this fetch once per attempt, numbering them with
 * `x-stainless-retry-count`. An attempt the SDK may retry (a connection error, 408, 409, 429,
 * 5xx or `x-should-retry: true`, while attempts remain) is held back; the next attempt of the
 * same request takes its place (and its start time), and one that is not followed within the
 * SDK's longest wait is reported as it stands. So each user call is one event, its final
 * attempt's, timed from its first.
 *
 * Streams: the body is handed on through a stream of ours that pulls from the provider's, so
 * the caller's `break` or abort cancels the provider's body (and closes its connection), and
 * a stream that ends early, fails or is cancelled is reported with what was seen and a failure.
 */
import type { CallReport, FunctionCall, InstrumentCore } from "./call.js";
import type { PayiContext } from "./context.js";
import { stripPayiHeaders } from "./context.js";
import { SseSplitter } from "./sse.js";
import type { Units } from "./units.js";

/** What a provider module fills in while a call's answer passes by. */
export interface Draft {
  units: Units;
  model?: string;
  responseId?: string;
  functionCalls?: FunctionCall[];
  resourceScope?: string;
  properties?: Record<string, string>;
  /** The answer is complete by the provider's protocol (a stream's final event seen). */
  done: boolean;
}

export interface Endpoint {
  category: string;
  /** The model the request names (Azure: the deployment). */
  model?: string;
  stream: boolean;
  /** A JSON value to send instead of the request body (e.g. stream options merged in). */
  send?: unknown;
  /** The request body as logged (defaults to what is sent). */
  logged?: unknown;
  /** A JSON answer (success or error). */
  json?(body: unknown, d: Draft, headers: Headers): void;
  /** One server-sent event; returning false leaves it out of what the caller reads. */
  event?(data: unknown, d: Draft, name: string | undefined): boolean | void;
  /** `event()` may leave events out: the stream is then passed on event by event. */
  hides?: boolean;
  redact?: CallReport["redact"];
}

export interface HttpRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** The request body parsed as JSON, or undefined when it is not JSON text. */
  body(): unknown;
}

export interface HttpProvider {
  /** As model mappings and reports name it: "openai", "anthropic", ... */
  name: string;
  /** The endpoint this request is to, when it is one that is tracked. */
  match(req: HttpRequest): Endpoint | undefined;
}

export interface InstrumentedFetchOptions {
  /** The fetch the client had (its own option, else the platform's). */
  fetch: typeof fetch;
  /** The client's `maxRetries`, read when an attempt ends. */
  maxRetries: () => number;
}

interface Pending {
  retryCount: number;
  startedAt: number;
  timer: ReturnType<typeof setTimeout>;
  report: () => void;
}

/** The SDKs' longest default wait between attempts, and the most they honour from `retry-after`. */
const MAX_DEFAULT_WAIT = 8_000;
const MAX_RETRY_AFTER = 60_000;
/** Time for the next attempt to arrive after its wait (preparing the request, a loaded machine). */
const GRACE = 5_000;

function retryable(res: Response | undefined): boolean {
  if (!res) return true;
  const header = res.headers.get("x-should-retry");
  if (header === "true") return true;
  if (header === "false") return false;
  return res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
}

function retryWait(res: Response | undefined): number {
  const ms = Number.parseFloat(res?.headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER);
  const after = res?.headers.get("retry-after");
  if (after) {
    const s = Number.parseFloat(after);
    const wait = Number.isFinite(s) ? s * 1000 : Date.parse(after) - Date.now();
    if (Number.isFinite(wait) && wait >= 0 && wait <= MAX_RETRY_AFTER) return wait;
  }
  return MAX_DEFAULT_WAIT;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export class PendingAttempts {
  readonly #byKey = new Map<string, Pending[]>();

  /** The held attempt this one follows, if any: it is dropped and its start time returned. */
  take(key: string, retryCount: number): number | undefined {
    const list = this.#byKey.get(key);
    const i = list?.findIndex((p) => p.retryCount === retryCount - 1) ?? -1;
    if (!list || i < 0) return undefined;
    const [p] = list.splice(i, 1);
    if (!list.length) this.#byKey.delete(key);
    clearTimeout(p.timer);
    return p.startedAt;
  }

  hold(key: string, retryCount: number, startedAt: number, waitMs: number, report: () => void): void {
    const p: Pending = {
      retryCount,
      startedAt,
      report,
      timer: setTimeout(() => this.#settle(key, p), waitMs + GRACE),
    };
    (p.timer as { unref?: () => void }).unref?.();
    const list = this.#byKey.get(key);
    if (list) list.push(p);
    else this.#byKey.set(key, [p]);
  }

  #settle(key: string, p: Pending): void {
    const list = this.#byKey.get(key);
    const i = list?.indexOf(p) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (!list.length) this.#byKey.delete(key);
    clearTimeout(p.timer);
    p.report();
  }

  /** Reports every held attempt now (at flush and shutdown). */
  settleAll(): void {
    for (const [key, list] of [...this.#byKey]) for (const p of [...list]) this.#settle(key, p);
  }
}

function urlOf(input: RequestInfo | URL): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name || "Error" : typeof err;
}

function errorMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? `${err.message}: ${cause.message}` : err.message;
}

/** A fetch that reports the tracked calls made through it. */
export function instrumentedFetch(core: InstrumentCore, provider: HttpProvider, options: InstrumentedFetchOptions, pending: PendingAttempts): typeof fetch {
  const base = options.fetch;

  return async function payiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let ctx: PayiContext;
    let headers: Headers;
    let endpoint: Endpoint | undefined;
    let url: URL;
    let method: string;
    try {
      headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      ctx = core.context(headers);
      if (ctx.proxy) {
        core.proxyHeaders(ctx, headers);
        return base(input, { ...init, headers });
      }
      stripPayiHeaders(headers);
      url = new URL(urlOf(input));
      method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      const rawBody = init?.body;
      let parsed: unknown;
      let wasParsed = false;
      endpoint = provider.match({
        url,
        method,
        headers,
        body: () => {
          if (!wasParsed) parsed = typeof rawBody === "string" ? parseJson(rawBody) : undefined;
          wasParsed = true;
          return parsed;
        },
      });
      if (!endpoint) return base(input, { ...init, headers });
    } catch (err) {
      // A fault of ours: the call goes out as the caller made it, minus our headers.
      core.fault(err);
      const h = new Headers(init?.headers);
      stripPayiHeaders(h);
      return base(input, { ...init, headers: h });
    }

    const ep = endpoint;
    const body = ep.send !== undefined ? JSON.stringify(ep.send) : init?.body;
    if (ep.send !== undefined) headers.delete("content-length");
    const retryCount = Number.parseInt(headers.get("x-stainless-retry-count") ?? "0", 10) || 0;
    const key = `${method} ${url.href} ${typeof init?.body === "string" ? init.body : ""}`;
    const now = Date.now();
    const startedAt = (retryCount > 0 ? pending.take(key, retryCount) : undefined) ?? now;
    const logged = ep.logged !== undefined ? ep.logged : ep.send !== undefined ? ep.send : typeof init?.body === "string" ? parseJson(init.body) : undefined;
    const draft: Draft = { units: {}, model: ep.model, done: false };
    const events: unknown[] = [];
    const keepBodies = ctx.log_prompt_and_response !== false;

    const finish = (status: number | undefined, res: Response | undefined, failure?: { name: string; description?: string }, extra?: Partial<CallReport>) => {
      try {
        const report: CallReport = {
          provider: provider.name,
          category: ep.category,
          model: draft.model,
          units: draft.units,
          status,
          startedAt,
          endedAt: Date.now(),
          responseId: draft.responseId,
          uri: url.href,
          host: url.host,
          request: logged,
          functionCalls: draft.functionCalls,
          resourceScope: draft.resourceScope,
          properties: draft.properties,
          redact: ep.redact,
          ...extra,
        };
        if (failure) {
          report.failure = failure.name;
          if (failure.description) report.failureDescription = failure.description;
        }
        const mayRetry = retryCount < options.maxRetries() && (failure && !res ? true : status !== undefined && status >= 400 && retryable(res));
        if (mayRetry) pending.hold(key, retryCount, startedAt, retryWait(res), () => core.report(report, ctx));
        else core.report(report, ctx);
      } catch (err) {
        core.fault(err);
      }
    };

    let res: Response;
    try {
      res = await base(input, { ...init, headers, body });
    } catch (err) {
      finish(undefined, undefined, { name: errorName(err), description: errorMessage(err) });
      throw err;
    }

    try {
      const source = res.body;
      if (!source || NULL_BODY.has(res.status)) {
        finish(res.status, res);
        return res;
      }
      const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
      const sse = isSse ? new SseSplitter() : undefined;
      const chunks: Uint8Array[] = [];
      const encoder = new TextEncoder();
      let firstTokenAt: number | undefined;
      let settled = false;
      const settle = (failure?: { name: string; description?: string }) => {
        if (settled) return;
        settled = true;
        try {
          if (!sse) {
            const text = new TextDecoder().decode(concat(chunks));
            const json = parseJson(text);
            if (json !== undefined && !failure) ep.json?.(json, draft, res.headers);
            const response = json !== undefined ? json : text ? text : undefined;
            // An error answer whose body the SDK discards (before a retry) is not a failure of the call's own.
            finish(res.status, res, res.status < 400 ? failure : undefined, keepBodies && response !== undefined ? { response } : undefined);
          } else {
            const f = failure && !draft.done ? failure : undefined;
            finish(res.status, res, f, { firstTokenAt, ...(keepBodies ? { response: events } : {}) });
          }
        } catch (err) {
          core.fault(err);
        }
      };
      const onEvents = (list: ReturnType<SseSplitter["push"]>): Uint8Array | undefined => {
        let kept = "";
        for (const e of list) {
          let keep: boolean | void = true;
          if (e.data === "[DONE]") draft.done = true;
          else if (e.data) {
            firstTokenAt ??= Date.now();
            const data = parseJson(e.data);
            if (data !== undefined) {
              try {
                keep = ep.event?.(data, draft, e.event);
              } catch (err) {
                core.fault(err);
              }
              if (keep !== false && keepBodies) events.push(data);
            }
          }
          if (keep !== false) kept += e.raw;
        }
        return kept ? encoder.encode(kept) : undefined;
      };
      const reader = source.getReader();
      const tapped = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            let step: ReadableStreamReadResult<Uint8Array>;
            try {
              step = await reader.read();
            } catch (err) {
              settle({ name: errorName(err), description: errorMessage(err) });
              controller.error(err);
              return;
            }
            if (step.done) {
              if (sse) {
                const rest = onEvents(sse.end());
                if (rest && ep.hides) controller.enqueue(rest);
              }
              settle(sse && !draft.done ? { name: "stream_incomplete", description: "the stream ended before its final event" } : undefined);
              controller.close();
              return;
            }
            const chunk = step.value;
            if (sse) {
              const out = onEvents(sse.push(chunk));
              if (!ep.hides) controller.enqueue(chunk);
              else if (out) controller.enqueue(out);
            } else {
              chunks.push(chunk);
              controller.enqueue(chunk);
            }
          },
          cancel(reason) {
            settle({ name: "stream_abandoned", description: "the caller stopped reading the answer" });
            return reader.cancel(reason);
          },
        },
        { highWaterMark: 0 },
      );
      const wrapped = new Response(tapped, { status: res.status, statusText: res.statusText, headers: res.headers });
      Object.defineProperty(wrapped, "url", { value: res.url });
      return wrapped;
    } catch (err) {
      core.fault(err);
      return res;
    }
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A client of a provider SDK with a `fetch` option and `withOptions()` (openai, @anthropic-ai/sdk). */
export interface FetchOptionClient {
  withOptions(options: { fetch?: typeof fetch } & Record<string, unknown>): unknown;
  maxRetries?: number;
}

const INSTRUMENTED = Symbol.for("payi.instrumented-fetch");

/**
 * A copy of `client` (by its own `withOptions`) whose calls go through an instrumented fetch;
 * `client` itself is left as it was.
 */
export function withInstrumentedFetch<C extends FetchOptionClient>(core: InstrumentCore, provider: HttpProvider, client: C, where: string, options: Record<string, unknown> = {}): C {
  if (!client || typeof client !== "object" || typeof client.withOptions !== "function") throw new TypeError(`${where}: expected a client of the provider's SDK (with withOptions()), got ${client === null ? "null" : typeof client}`);
  const own = (client as unknown as { fetch?: typeof fetch }).fetch;
  if (own && (own as unknown as Record<symbol, unknown>)[INSTRUMENTED]) throw new TypeError(`${where}: this client is instrumented already; pass the original client`);
  const base: typeof fetch = typeof own === "function" ? own : (...args) => globalThis.fetch(...args);
  const pending = new PendingAttempts();
  core.onFlush(() => pending.settleAll());
  let copy: C | undefined;
  const f = instrumentedFetch(core, provider, { fetch: base, maxRetries: () => copy?.maxRetries ?? client.maxRetries ?? 2 }, pending);
  Object.defineProperty(f, INSTRUMENTED, { value: true });
  copy = client.withOptions({ ...options, fetch: f }) as C;
  return copy;
}
