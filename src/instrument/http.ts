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
 * `x-stainless-retry-count`. An attempt the SDK may retry (a connection error other than the
 * caller's abort, 408, 409, 429, 5xx or `x-should-retry: true`, while attempts remain) is held
 * back; the next attempt of the same request takes its place (and its start time), and one
 * that is not followed within the SDK's longest wait is reported as it stands. So each user
 * call is one event, its final attempt's, timed from its first.
 *
 * Streams: the body is handed on through a stream of ours that pulls from the provider's, so
 * the caller's `break` or abort cancels the provider's body (and closes its connection), and
 * a stream that ends early, fails or is cancelled is reported with what was seen and a failure;
 * so is one its caller lets go unfinished, when it is garbage-collected (its connection closed then).
 */
import type { CallReport, FunctionCall, InstrumentCore } from "./call.js";
import type { PayiContext } from "./context.js";
import { stripPayiHeaders } from "./context.js";
import { SseSplitter, type SseEvent } from "./sse.js";
import type { Units } from "./units.js";
import { abortedByCaller, type Answer, CALLER_SIGNAL, PendingAttempts, retryable, retryWait } from "./attempts.js";
import { copyOf, seeBody } from "./body-tap.js";
import { deferred } from "./deferred.js";

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
  /** A failure the provider reported inside the answer (a stream's error event). */
  failure?: { name: string; description?: string };
}

export interface Endpoint {
  category: string;
  /** The model the request names (Azure: the deployment). */
  model?: string;
  stream: boolean;
  /** A JSON value to send instead of the request body (e.g. stream options merged in). */
  send?: unknown;
  /** With `send`: the same, made from the request's JSON text (cheaper than serializing `send` when the body is large). */
  sendText?(text: string): string;
  /** The request body as logged (defaults to what is sent). */
  logged?: unknown;
  /** A JSON answer (success or error), read once the caller has it. */
  json?(body: unknown, d: Draft, headers: Headers): void;
  /**
   * One server-sent event, in order. With `hide()`, events are read once the stream is over,
   * off the caller's path; without it (and with `hides`), as they pass, and returning false
   * leaves the event out of what the caller reads.
   */
  event?(data: unknown, d: Draft, name: string | undefined): boolean | void;
  /**
   * Whether `event()` needs this event, from its raw `data:` text and name (a cheap test); the
   * events it does not need are not parsed (they are logged all the same). Without it, all are.
   */
  wants?(data: string, name: string | undefined, d: Draft): boolean;
  /** Events may be left out of what the caller reads: the stream is then cut event by event. */
  hides?: boolean;
  /** With `hides`: whether to leave this event out, from its raw `data:` text (decided as it passes, so keep it cheap). */
  hide?(data: string, name: string | undefined): boolean;
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
  /** The client's `timeout` (ms), for a request that does not say its own (`x-stainless-timeout`). */
  timeout?: () => number | undefined;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

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
export function instrumentedFetch(
  core: InstrumentCore,
  provider: HttpProvider,
  options: InstrumentedFetchOptions,
  pending: PendingAttempts,
): typeof fetch {
  const base = options.fetch;

  return async function payiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const attemptAt = Date.now();
    let ctx: PayiContext;
    let headers: Headers;
    let endpoint: Endpoint | undefined;
    let url: URL;
    let method: string;
    /** The request body, parsed once if an endpoint asks for it. */
    let parsedBody: (() => unknown) | undefined;
    try {
      const given = init?.headers ?? (input instanceof Request ? input.headers : undefined);
      // A copy of the caller's headers only when ours are to be read, removed or added.
      const headersIn = given instanceof Headers ? given : new Headers(given);
      const payiHeaders = hasPayiHeaders(headersIn);
      headers = payiHeaders ? new Headers(headersIn) : headersIn;
      ctx = core.context(payiHeaders ? headers : undefined);
      if (ctx.proxy) {
        if (headers === given) headers = new Headers(headers);
        core.proxyHeaders(ctx, headers);
        return base(input, { ...init, headers });
      }
      if (payiHeaders) stripPayiHeaders(headers);
      url = new URL(urlOf(input));
      method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      const rawBody = init?.body;
      let parsed: unknown;
      let wasParsed = false;
      parsedBody = () => {
        if (!wasParsed) parsed = typeof rawBody === "string" ? parseJson(rawBody) : undefined;
        wasParsed = true;
        return parsed;
      };
      endpoint = provider.match({ url, method, headers, body: parsedBody });
      if (!endpoint) return base(input, { ...init, headers });
    } catch (err) {
      // A fault of ours: the call goes out as the caller made it, minus our headers.
      core.fault(err);
      const h = new Headers(init?.headers);
      stripPayiHeaders(h);
      return base(input, { ...init, headers: h });
    }

    const ep = endpoint;
    const body =
      ep.send === undefined
        ? init?.body
        : ep.sendText && typeof init?.body === "string"
          ? ep.sendText(init.body)
          : JSON.stringify(ep.send);
    if (ep.send !== undefined && headers.has("content-length")) {
      headers = new Headers(headers);
      headers.delete("content-length");
    }
    const retryCount = Number.parseInt(headers.get("x-stainless-retry-count") ?? "0", 10) || 0;
    const requestText = typeof init?.body === "string" ? init.body : undefined;
    const key = `${method} ${url.href} ${requestText ?? ""}`;
    const prior = retryCount > 0 ? pending.take(key, retryCount) : undefined;
    const startedAt = prior?.startedAt ?? Date.now();
    const draft: Draft = { units: {}, model: ep.model, done: false };
    const keepBodies = ctx.log_prompt_and_response !== false;

    /**
     * Ends the attempt: whether it is held for a retry is decided now; reading what was seen
     * (`read`) and reporting happen after the caller has its answer, off its path.
     */
    const finish = (
      status: number | undefined,
      res: Answer | undefined,
      failure: Failure | undefined,
      read?: () => Seen,
      at?: number,
    ) => {
      const endedAt = at ?? Date.now();
      const report = (abortedAt?: number) => {
        if (prior?.cut) return;
        try {
          const seen = read?.();
          const f = abortedAt
            ? abortedInWait(status)
            : seen && seen.failure !== undefined
              ? (seen.failure ?? undefined)
              : failure;
          const r: CallReport = {
            provider: provider.name,
            category: ep.category,
            model: draft.model,
            units: draft.units,
            status: abortedAt ? undefined : status,
            startedAt,
            endedAt: abortedAt ?? endedAt,
            responseId: draft.responseId,
            uri: url.href,
            host: url.host,
            functionCalls: draft.functionCalls,
            resourceScope: draft.resourceScope,
            properties: draft.properties,
            redact: ep.redact,
          };
          if (keepBodies) {
            // What the caller sent; the text itself goes into the event, not parsed and re-serialized.
            r.request = ep.logged !== undefined ? ep.logged : parsedBody?.();
            if (ep.logged === undefined && requestText !== undefined) r.requestText = requestText;
          }
          if (seen) Object.assign(r, seen.fields);
          if (f) {
            r.failure = f.name;
            if (f.description) r.failureDescription = f.description;
          }
          core.report(r, ctx);
        } catch (err) {
          core.fault(err);
        }
      };
      try {
        const mayRetry =
          retryCount < options.maxRetries() &&
          (failure && !res ? !callerAborted : status !== undefined && status >= 400 && retryable(res));
        if (mayRetry) {
          const signal = (init as { [CALLER_SIGNAL]?: AbortSignal } | undefined)?.[CALLER_SIGNAL] ?? init?.signal;
          pending.hold(key, retryCount, startedAt, retryWait(res), report, prior?.cut, signal);
        } else deferred.run(report);
      } catch (err) {
        core.fault(err);
      }
    };

    let res: Response;
    let callerAborted = false;
    try {
      res = await base(input, { ...init, headers, body });
    } catch (err) {
      callerAborted = abortedByCaller(init?.signal, headers, options.timeout?.(), attemptAt);
      finish(undefined, undefined, { name: errorName(err), description: errorMessage(err) });
      throw err;
    }

    try {
      const source = res.body;
      if (!source || NULL_BODY.has(res.status)) {
        finish(res.status, res, undefined);
        return res;
      }
      const status = res.status;
      // Kept apart from `res`: nothing held here for later (the reports, flush(), the registry) may keep a JSON answer alive.
      const resHeaders = res.headers;
      const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
      const chunks: Uint8Array[] = [];
      /** Events already cut (when some may be left out), in order, and those left out. */
      const cut: SseEvent[] = [];
      const hidden = new Set<SseEvent>();
      const splitter = isSse && ep.hides ? new SseSplitter() : undefined;
      let firstTokenAt: number | undefined;
      let settled = false;

      /** The JSON answer as text, once decoded; whether the endpoint has seen it parsed (as the caller's json() parsed it). */
      let decoded: string | undefined;
      let jsonSeen = false;
      let parsed: unknown;
      const seeJson = (json: unknown) => {
        if (jsonSeen) return;
        jsonSeen = true;
        parsed = json;
        try {
          ep.json?.(json, draft, resHeaders);
        } catch (err) {
          core.fault(err);
        }
      };
      const readJson = () => {
        const text = decoded ?? utf8.decode(concat(chunks));
        if (!jsonSeen) {
          const json = parseJson(text);
          if (json !== undefined) seeJson(json);
        }
        return { fields: keepBodies && text ? { response: jsonSeen ? parsed : text, responseText: text } : {} };
      };
      const readEvents = (failure: Failure | undefined) => {
        let events = cut;
        if (!splitter) {
          const s = new SseSplitter();
          events = s.push(concat(chunks));
          events.push(...s.end());
        }
        const texts: string[] = [];
        for (const e of events) {
          if (e.data === "[DONE]") draft.done = true;
          else if (e.data) {
            if (ep.event && (!ep.wants || ep.wants(e.data, e.event, draft))) {
              const data = parseJson(e.data);
              if (data === undefined) continue;
              try {
                ep.event(data, draft, e.event);
              } catch (err) {
                core.fault(err);
              }
            }
            // An event left out of what the caller read is not logged either.
            if (keepBodies && !hidden.has(e)) texts.push(e.data);
          }
        }
        const f = draft.failure ?? failure ?? (draft.done ? undefined : INCOMPLETE);
        return {
          fields: { firstTokenAt, ...(keepBodies ? { responseText: texts } : {}) },
          failure: draft.done && !draft.failure ? null : f,
        };
      };
      /** Stops shutdown() (or flush()) from reporting this call again. */
      let unhook: (() => void) | undefined;
      const settle = (failure?: Failure, at?: number) => {
        if (settled) return;
        settled = true;
        unhook?.();
        const answer = { status, headers: resHeaders };
        // An error answer whose body the SDK discards (before a retry) is not a failure of the call's own.
        if (!isSse) finish(status, answer, status < 400 ? failure : undefined, readJson, at);
        else finish(status, answer, failure, () => readEvents(failure));
      };

      /** Events cut from the stream: what to pass on (true: the chunk as it came, when it holds exactly these events and all are kept). */
      const passOn = (events: SseEvent[], whole: boolean): Uint8Array | true | undefined => {
        let kept = "";
        let any = false;
        for (const e of events) {
          if (e.data && e.data !== "[DONE]") firstTokenAt ??= Date.now();
          cut.push(e);
          if (e.data && e.data !== "[DONE]" && isHidden(ep, e, draft, core)) {
            hidden.add(e);
            any = true;
          } else kept += e.raw;
        }
        if (!any && whole) return events.length ? true : undefined;
        return kept ? encoder.encode(kept) : undefined;
      };

      /**
       * The body handed on through a stream of ours that pulls from the provider's, seeing each
       * chunk. Each read of the caller's is answered with one chunk; a chunk that leaves nothing
       * to pass on (only an event left out, or part of one) is followed by the next, so that
       * the caller's read is never left waiting on a pull that enqueued nothing.
       */
      const tap = (reading?: () => void) => {
        const reader = source.getReader();
        let out!: ReadableStreamDefaultController<Uint8Array>;
        const failed = (err: unknown) => {
          settle({ name: errorName(err), description: errorMessage(err) });
          out.error(err);
        };
        const step = (r: ReadableStreamReadResult<Uint8Array>): Promise<void> | undefined => {
          if (r.done) {
            if (splitter) {
              const rest = passOn(splitter.end(), false);
              if (rest && rest !== true) out.enqueue(rest);
            }
            settle();
            out.close();
            return undefined;
          }
          const chunk = r.value;
          if (!splitter) {
            if (isSse) firstTokenAt ??= Date.now();
            chunks.push(chunk);
            out.enqueue(chunk);
            return undefined;
          }
          const wasEmpty = splitter.empty;
          const pass = passOn(splitter.push(chunk), wasEmpty && splitter.empty);
          if (pass === true) out.enqueue(chunk);
          else if (pass) out.enqueue(pass);
          else return reader.read().then(step, failed);
          return undefined;
        };
        const stream = new ReadableStream<Uint8Array>(
          {
            start(controller) {
              out = controller;
            },
            pull: () => {
              reading?.();
              return reader.read().then(step, failed);
            },
            cancel(reason) {
              reading?.();
              settle({ name: "stream_abandoned", description: "the caller stopped reading the answer" });
              return reader.cancel(reason);
            },
          },
          { highWaterMark: 0 },
        );
        // A stream let go unfinished (no break, abort or cancel) is reported when collected, and its connection closed.
        if (isSse) watch(stream, reader);
        return stream;
      };
      // Made outside tap(), whose scope holds the stream's controller: what the registry and
      // shutdown() hold must not keep the stream alive.
      const watch = (stream: ReadableStream<Uint8Array>, reader: ReadableStreamDefaultReader<Uint8Array>) => {
        const onDrop = () => settled || (settle(DROPPED), void reader.cancel().catch(() => {}));
        dropped.register(stream, onDrop, onDrop);
        const offShutdown = core.onShutdown(() => settle(SHUT_DOWN));
        // Let go once settled: a registration kept until the stream is collected costs every call a finalization.
        unhook = () => {
          offShutdown();
          dropped.unregister(onDrop);
        };
      };
      if (!isSse) {
        // JSON: the caller reads it whole anyway (json(), text()); it is read once, as it would
        // be, and seen on the way. A caller that takes the body as a stream gets one of ours.
        let bytes: Promise<Uint8Array> | undefined;
        let tapped: ReadableStream<Uint8Array> | undefined;
        // The answer's own class (a fetch of the user's may not be the platform's).
        const proto = Object.getPrototypeOf(res) as Response;
        // An answer whose body is never touched (`asResponse()` let go) is reported with what is
        // known when collected, or at flush()/shutdown() if still untouched then.
        const headersAt = Date.now();
        let touched = false;
        const unread = () => touched || settle(UNREAD, headersAt);
        const touch = () => {
          if (touched) return;
          touched = true;
          unhook?.();
          dropped.unregister(unread);
        };
        const read = (self: Response) => {
          touch();
          return (bytes ??= tapped
            ? new Response(tapped).arrayBuffer().then((b) => new Uint8Array(b))
            : proto.arrayBuffer.call(self).then(
                (b) => {
                  chunks.push(new Uint8Array(b));
                  settle();
                  return chunks[0];
                },
                (err: unknown) => {
                  settle({ name: errorName(err), description: errorMessage(err) });
                  throw err;
                },
              ));
        };
        const text = (self: Response) => read(self).then((u) => (decoded ??= utf8.decode(u)));
        seeBody(res, proto, {
          read,
          text,
          json: (self) =>
            text(self).then((t) => {
              const json = JSON.parse(t) as unknown;
              seeJson(json);
              return json;
            }),
          // Taking the body is not reading it (the Anthropic SDK takes it from every answer).
          body: (original) => (bytes && !tapped ? original() : (tapped ??= tap(touch))),
          clone: (self, original) => {
            if (bytes && !tapped) return original();
            // Both copies read through ours: what either reads is seen once.
            const [mine, theirs] = (tapped ??= tap(touch)).tee();
            tapped = mine;
            return copyOf(self, theirs);
          },
        });
        // Watched only if still untouched a turn later (the provider SDK reads an answer in the
        // turn it comes): a finalization registration for every answer costs more than the rest of its tracking.
        deferred.run(
          later(res, (r) => {
            if (touched) return;
            dropped.register(r, unread, unread);
            unhook = core.onFlush(unread);
          }),
        );
        return res;
      }
      {
        // A stream: the answer reads its body through a stream of ours (cheaper than a new
        // Response), made now so that one never read is still reported when it is collected.
        // Its own block, and the answer passed in (`self`), not held: what settle() and the
        // registry hold must not hold the stream.
        let tapped = tap();
        let bytes: Promise<Uint8Array> | undefined;
        const read = () => (bytes ??= new Response(tapped).arrayBuffer().then((b) => new Uint8Array(b)));
        seeBody(res, Object.getPrototypeOf(res) as Response, {
          read,
          text: () => read().then((u) => utf8.decode(u)),
          json: () => read().then((u) => JSON.parse(utf8.decode(u)) as unknown),
          body: () => tapped,
          clone: (self) => {
            const [mine, theirs] = tapped.tee();
            tapped = mine;
            return copyOf(self, theirs);
          },
        });
      }
      return res;
    } catch (err) {
      core.fault(err);
      return res;
    }
  };
}

function hasPayiHeaders(headers: Headers): boolean {
  let found = false;
  headers.forEach((_v, k) => {
    if (!found && k.startsWith("xproxy-")) found = true;
  });
  return found;
}

type Failure = { name: string; description?: string };
/** What was read from an answer: report fields, and the failure when reading tells it (null: none). */
type Seen = { fields: Partial<CallReport>; failure?: Failure | null };
const INCOMPLETE: Failure = { name: "stream_incomplete", description: "the stream ended before its final event" };
const DROPPED: Failure = {
  name: "stream_abandoned",
  description: "the caller let go of the stream before its end (it was garbage-collected)",
};
const SHUT_DOWN: Failure = { name: "instrument_shutdown", description: "shutdown() came before the stream ended" };
const UNREAD: Failure = {
  name: "response_unread",
  description: "the caller did not read the answer's body (its usage is unknown)",
};
const abortedInWait = (status: number | undefined): Failure => ({
  name: "AbortError",
  description: `the caller aborted the call while its SDK waited to retry (last attempt: ${status ?? "no answer"})`,
});
/** `fn(res)` later, from a scope apart: closures of the call's own scope must not hold the answer. */
const later = (res: Response, fn: (res: Response) => void) => () => fn(res);
/** Streams handed to a caller: when one is collected unfinished, its callback reports it. */
const dropped = new FinalizationRegistry<() => void>((fn) => fn());
const encoder = new TextEncoder();
const utf8 = new TextDecoder();

/** Whether an event is left out of what the caller reads: by the endpoint's `hide()`, else (older form) by `event()` returning false. */
function isHidden(ep: Endpoint, e: SseEvent, draft: Draft, core: InstrumentCore): boolean {
  try {
    if (ep.hide) return ep.hide(e.data, e.event);
    const data = parseJson(e.data);
    return data !== undefined && ep.event?.(data, draft, e.event) === false;
  } catch (err) {
    core.fault(err);
    return false;
  }
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
  timeout?: number;
}

const INSTRUMENTED = Symbol.for("payi.instrumented-fetch");

/**
 * A copy of `client` (by its own `withOptions`) whose calls go through an instrumented fetch;
 * `client` itself is left as it was.
 */
export function withInstrumentedFetch<C extends FetchOptionClient>(
  core: InstrumentCore,
  provider: HttpProvider,
  client: C,
  where: string,
  options: Record<string, unknown> = {},
): C {
  if (!client || typeof client !== "object" || typeof client.withOptions !== "function")
    throw new TypeError(
      `${where}: expected a client of the provider's SDK (with withOptions()), got ${client === null ? "null" : typeof client}`,
    );
  const own = (client as unknown as { fetch?: typeof fetch }).fetch;
  if (own && (own as unknown as Record<symbol, unknown>)[INSTRUMENTED])
    throw new TypeError(`${where}: this client is instrumented already; pass the original client`);
  const base: typeof fetch = typeof own === "function" ? own : (...args) => globalThis.fetch(...args);
  const pending = new PendingAttempts();
  core.onShutdown(() => pending.settleAll());
  let copy: C | undefined;
  const f = instrumentedFetch(
    core,
    provider,
    {
      fetch: base,
      maxRetries: () => copy?.maxRetries ?? client.maxRetries ?? 2,
      timeout: () => copy?.timeout ?? client.timeout,
    },
    pending,
  );
  Object.defineProperty(f, INSTRUMENTED, { value: true });
  copy = client.withOptions({ ...options, fetch: f }) as C;
  return copy;
}
