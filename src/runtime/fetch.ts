/**
 * The fetch handed to openapi-fetch. openapi-fetch builds the request; this sends it through
 * a transport (exchange.ts) and owns what a middleware cannot do: resending. Per attempt it
 * applies a fresh deadline (deadline.ts), follows redirects itself (the key never goes to
 * another origin), reads the body within the attempt, and retries by the policy in retry.ts.
 */
import { APIConnectionError, APITimeoutError, APIUserAbortError } from "./errors.js";
import { CREDENTIAL_HEADERS } from "./redact.js";
import { isRetryableResponse, retryDelayMs } from "./retry.js";
import { Deadline } from "./deadline.js";
import type { Exchange } from "./exchange.js";
import type { Logger } from "./logger.js";
import type { OutgoingRequest } from "./outgoing-request.js";

export interface SendSettings {
  exchange: Exchange | Promise<Exchange>;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** The connect timeout the transport applies (transport.ts), ms; named when it fires. */
  connectTimeoutMs?: number;
  maxRetries: number;
  signal?: AbortSignal | null;
  /** Leave the body unread, for streaming responses; the timeout then bounds its reading by the caller. */
  stream?: boolean;
  logger: Logger;
  /**
   * Headers the client configured (defaultHeaders, PAYI_CUSTOM_HEADERS) that this call did not
   * set itself: dropped, with the credentials, when a redirect leads to another origin.
   */
  configuredHeaders: () => Iterable<string>;
  /** The largest response body read, in bytes after decompression. */
  maxResponseSize?: number;
  /** Test hook: the source of jitter. */
  random?: () => number;
}

const MAX_REDIRECTS = 10;
/** What fetch follows: 300 (a choice to make) and 304 (not modified) are answers. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Stryker disable next-line ArrayDeclaration: equivalent, a null-body status reads as empty text anyway.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function createFetch(settings: SendSettings): (request: OutgoingRequest) => Promise<Response> {
  return async (request) => {
    const exchange = await settings.exchange;
    // A string: every attempt sends the same bytes.
    const body = request.body;
    const userSignal = settings.signal ?? undefined;
    for (let attempt = 0; ; attempt++) {
      if (userSignal?.aborted) throw new APIUserAbortError();
      const deadline = new Deadline(settings.timeoutMs, userSignal);
      const started = Date.now();
      const attemptNote = () => `in ${Date.now() - started} ms, attempt ${attempt + 1} of ${settings.maxRetries + 1}`;
      // The answer whose headers may say how long to wait; none after an error.
      let retryAnswer: Response | undefined;
      try {
        const response = await exchangeFollowingRedirects(
          exchange,
          request,
          body,
          deadline,
          settings.configuredHeaders,
          settings.maxResponseSize,
        );
        const final = settings.stream ? response : await buffered(response, settings.maxResponseSize);
        const requestId = final.headers.get("x-request-id") ?? final.headers.get("xproxy-request-id");
        settings.logger.debug(
          `${request.method} ${pathOf(request.url)} answered ${final.status} (${attemptNote()}${requestId ? `, request id ${requestId}` : ""})`,
        );
        if (attempt < settings.maxRetries && !final.ok && isRetryableResponse(final)) {
          await final.body?.cancel().catch(() => {});
          retryAnswer = final;
          settings.logger.info(`${request.method} ${pathOf(request.url)} answered ${final.status}; retrying`);
        } else {
          // Stryker disable next-line ConditionalExpression: always true is equivalent (a read body's timer is unref'd)
          if (settings.stream) deadline.keepUntilBodyRead(final);
          else deadline.clear();
          return final;
        }
      } catch (err) {
        deadline.clear();
        if (userSignal?.aborted) throw new APIUserAbortError();
        const error = deadline.timedOut
          ? new APITimeoutError(`Request timed out after ${settings.timeoutMs} ms.`)
          : isConnectTimeout(err)
            ? new APITimeoutError(
                `Connect timed out${settings.connectTimeoutMs ? ` after ${settings.connectTimeoutMs} ms` : ""}: no connection to ${hostOf(request.url)}.`,
                { cause: err },
              )
            : (err as { code?: unknown } | undefined)?.code === TOO_LARGE
              ? new ResponseTooLargeError((err as Error).message)
              : err instanceof APIConnectionError
                ? err
                : new APIConnectionError(connectionMessage(err, request.url), { cause: err });
        settings.logger.debug(`${request.method} ${pathOf(request.url)} failed (${attemptNote()}): ${error.message}`);
        if (attempt >= settings.maxRetries || !isRetryableError(error)) throw error;
        settings.logger.info(`${request.method} ${pathOf(request.url)} failed (${error.message}); retrying`);
      }
      deadline.clear();
      await sleep(retryDelayMs(attempt + 1, retryAnswer?.headers, settings.random), userSignal);
    }
  };
}

function isRetryableError(error: Error): boolean {
  return !(error instanceof RedirectError || error instanceof ResponseTooLargeError);
}

class RedirectError extends APIConnectionError {}
/** A body past maxResponseSize: the same again would be too, so it is not retried. */
class ResponseTooLargeError extends APIConnectionError {}
const TOO_LARGE = "PAYI_RESPONSE_TOO_LARGE";

async function exchangeFollowingRedirects(
  exchange: Exchange,
  request: OutgoingRequest,
  body: string | undefined,
  deadline: Deadline,
  configuredHeaders: () => Iterable<string>,
  maxBodyBytes: number | undefined,
): Promise<Response> {
  let url = request.url;
  let method = request.method;
  let payload = body;
  // Copied before a redirect changes them: a retry starts again from the request's own.
  let headers = request.headers;
  const origin = new URL(url).origin;
  for (let hop = 0; ; hop++) {
    const response = await exchange(url, { method, headers, body: payload, deadline, maxBodyBytes });
    if (response.type === "opaqueredirect") {
      throw new RedirectError(
        "The service answered a redirect, which this runtime cannot follow without exposing it; set baseURL to the final address.",
      );
    }
    if (!REDIRECTS.has(response.status)) return response;
    const location = response.headers.get("location");
    if (!location) return response;
    if (hop >= MAX_REDIRECTS) throw new RedirectError(`Too many redirects (more than ${MAX_REDIRECTS}).`);
    // Stryker disable next-line OptionalChaining: equivalent, only a HEAD's redirect has no body; no operation is one.
    await response.body?.cancel().catch(() => {});
    const next = new URL(location, url);
    // Stryker disable next-line ConditionalExpression: always true is equivalent, a copy of the copy holds the same.
    if (headers === request.headers) headers = new Headers(headers);
    if (next.origin !== origin) {
      for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      for (const name of configuredHeaders()) headers.delete(name);
    }
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      // Stryker disable next-line ConditionalExpression,StringLiteral: no operation sends a HEAD.
      method = method === "HEAD" ? "HEAD" : "GET";
      payload = undefined;
      headers.delete("content-type");
      headers.delete("content-length");
    }
    url = next.href;
  }
}

const texts = new WeakMap<Response, string>();

/**
 * Reads the body within the attempt, so a failure mid-body is a failed attempt. A success
 * keeps its (now read) Response and the text beside it, saving a second stream; an error is
 * rebuilt because openapi-fetch reads error bodies itself.
 */
async function buffered(response: Response, maxBytes = Infinity): Promise<Response> {
  // Not `!response.body`: asking for it would make the Node transport build a web stream.
  if (NULL_BODY.has(response.status)) return response;
  const text = await response.text();
  // The Node transport stops reading at the bound; a fetch of another runtime is checked once read, in bytes.
  if (new TextEncoder().encode(text).byteLength > maxBytes)
    throw Object.assign(new Error(`The response body is larger than maxResponseSize (${maxBytes} bytes).`), {
      code: TOO_LARGE,
    });
  if (!response.ok)
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  texts.set(response, text);
  return response;
}

/** The body of a response this fetch returned, whether it read it already or it is streamed. */
export function bodyText(response: Response): Promise<string> {
  const text = texts.get(response);
  // A streamed body read already by the caller throws here, as a second text() would.
  return text !== undefined ? Promise.resolve(text) : response.text();
}

/** Waits, and stops at once when the caller aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, a signal aborts once.
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The transport's connect timeout (undici's), which is a timeout as much as the per-attempt one is. */
function isConnectTimeout(err: unknown): boolean {
  // Stryker disable ConditionalExpression,EqualityOperator,UpdateOperator: the depth only bounds a cycle of causes.
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    // Stryker restore ConditionalExpression,EqualityOperator,UpdateOperator
    if (e.code === "UND_ERR_CONNECT_TIMEOUT") return true;
  }
  return false;
}

function connectionMessage(err: unknown, url: string): string {
  // fetch wraps the transport's error in a cause; undici's request API throws it as it is.
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? (err instanceof Error ? err.message : undefined);
  return `Connection error${detail ? `: ${detail}` : ""} (${hostOf(url)}).`;
}

/** Host and port, the port spelled out even when it is the scheme's default. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    // Stryker disable BlockStatement: the catch is unreachable, a request's URL is absolute.
    return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  } catch {
    // Stryker restore BlockStatement
    // Stryker disable next-line StringLiteral: unreachable, a request's URL is absolute.
    return "the service";
  }
}

function pathOf(url: string): string {
  try {
    // Stryker disable BlockStatement: the catch is unreachable, a request's URL is absolute.
    return new URL(url).pathname;
  } catch {
    // Stryker restore BlockStatement
    return url;
  }
}
