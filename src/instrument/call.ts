/**
 * The contract between the instrumentation core and a provider module.
 *
 * A provider module (src/instrument/providers/*.ts) sees a provider call by that SDK's own
 * extension point, captures the context where the call starts, and reports the call once,
 * when it is over (its final attempt, if the SDK retried), as a `CallReport`:
 *
 *     const ctx = core.context(overrides);           // at the start of the call, in the caller's scope
 *     if (ctx.proxy) { ...add core.proxyHeaders(ctx)...; return }  // proxy mode: nothing is reported
 *     ...the call runs...
 *     core.report({ provider: "openai", category: "system.openai", model, units, status, ... }, ctx);
 *
 * `report()` never throws and never waits: it builds the event (model mappings, price-as
 * overrides, bodies unless prompt logging is off, inline images replaced through
 * `redact`) and hands it to delivery, off the caller's path; its faults go to `onError`.
 * A call that got no answer has no `status` and a `failure` (the event gets status 299 and
 * the `system.failure` property); a stream abandoned or broken midway keeps its status and
 * has a `failure` too. Fields are added to this contract compatibly, never changed.
 *
 * Modules that ride on `fetch` (OpenAI, Anthropic, and any SDK with a fetch option) do not
 * use this directly: they describe their endpoints as an `HttpProvider` (http.ts), and the
 * shared fetch wrapper does the timing, retries, streams and reporting.
 */
import type { PayiContext } from "./context.js";
import type { Units } from "./units.js";

export interface FunctionCall {
  name: string;
  arguments?: string;
}

/** One user call to a provider, as a provider module reports it. */
export interface CallReport {
  /** The provider's name, as model mappings are keyed: "openai", "anthropic", ... */
  provider: string;
  /** Pay-i's category for it, before price-as overrides: "system.openai", ... */
  category: string;
  /** The model (Azure: the deployment); the event's resource unless mapped or priced as another. */
  model?: string;
  units: Units;
  /** The provider's HTTP status; absent when no answer came. */
  status?: number;
  /** Why the call did not complete: an error's name, "stream_abandoned", ... Makes the `system.failure` property. */
  failure?: string;
  /** More about the failure (an error's message). */
  failureDescription?: string;
  /** When the call started (first attempt), epoch ms. */
  startedAt: number;
  /** When its answer was complete (or it failed), epoch ms. */
  endedAt: number;
  /** When the first chunk of a streamed answer arrived, epoch ms. */
  firstTokenAt?: number;
  /** The provider's id of its answer (a generated one is used when absent). */
  responseId?: string;
  /** The provider endpoint called. */
  uri?: string;
  /** The host called, for model mappings limited to a host. */
  host?: string;
  /** The request body (a JSON value), logged unless prompt logging is off. */
  request?: unknown;
  /** The request body as JSON text, as the caller sent it; logged in preference to `request` (no re-serializing). */
  requestText?: string;
  /** The response body (a JSON object), or a stream's events in order (an array). */
  response?: unknown;
  /** The response as JSON text, or a stream's events' data texts; logged in preference to `response`. */
  responseText?: string | string[];
  functionCalls?: FunctionCall[];
  /** A resource scope the provider's answer implies (Anthropic's inference geo), beating the context's. */
  resourceScope?: string;
  /** Properties of this call, merged over the context's request properties. */
  properties?: Record<string, string>;
  /**
   * Replaces inline base64 images in logged bodies unless the user asked to keep them. With
   * `test`, a body given as text is parsed and redacted only when the test matches it.
   */
  redact?: { request?: (body: unknown) => unknown; response?: (body: unknown) => unknown; test?: RegExp };
}

/** What a provider module gets from the instrumentor. */
export interface InstrumentCore {
  /** The context in force for a call starting now: the root, the `track()` scopes, then these per-call overrides. */
  context(overrides?: Headers): PayiContext;
  /** Reports a finished call. Never throws, never waits. */
  report(call: CallReport, context: PayiContext): void;
  /** Proxy mode: adds the context to a call's headers as Pay-i's proxy reads them. */
  proxyHeaders(context: PayiContext, headers: Headers): void;
  /** Reports an instrumentation fault (never thrown into the user's code). */
  fault(error: unknown): void;
  /**
   * Runs `fn` at shutdown(), before delivery is flushed, to report what is still open (an
   * attempt held for its SDK's retry, a stream being read) as it stands. Returns the undoing.
   */
  onShutdown(fn: () => void): () => void;
  /**
   * Runs `fn` at flush() and shutdown() when it was registered before they began and is still
   * registered a turn later: for an answer nobody has started to read. Returns the undoing.
   */
  onFlush(fn: () => void): () => void;
}
