/** Client and per-request options, and how the environment fills them in. */
import { PayiError, PayiValidationError, type ValidationIssue } from "./errors.js";
import { headerIssues, headerValueProblem } from "./header-values.js";
import { urlIssues } from "./params.js";
import { parseLogLevel, type Logger, type LogLevel } from "./logger.js";
import { Timeout } from "./timeout.js";
import type { FetchLike } from "./exchange.js";

export type HeadersInit = Record<string, string | null | undefined>;
export type QueryInit = Record<string, string | number | boolean | null | undefined>;

export interface ClientOptions {
  /** Your Pay-i API key. Default: the `PAYI_API_KEY` environment variable. */
  apiKey?: string;
  /** Default: `PAYI_BASE_URL`, else `https://api.pay-i.com`. */
  baseURL?: string;
  /** Per-attempt timeout in ms (default 60 000), or a {@link Timeout} with a connect timeout too (default 5 000). */
  timeout?: number | Timeout;
  /** Retries of connection errors, timeouts, 408, 409, 429 and 5xx. Default 2. */
  maxRetries?: number;
  /** Headers sent with every request; `null` removes one. `PAYI_CUSTOM_HEADERS` (lines of `Name: value`) adds to them. */
  defaultHeaders?: HeadersInit;
  /** Query parameters sent with every request. */
  defaultQuery?: QueryInit;
  /** The fetch to send requests with. Default: on Node, undici's request API with the connect timeout applied; elsewhere the platform's fetch. */
  fetch?: FetchLike;
  /** Default: `PAYI_LOG`, else `"warn"`. */
  logLevel?: LogLevel;
  /** Where log lines go. Default: `console`. */
  logger?: Logger;
  /** Check every response body against the spec and throw `APIResponseValidationError` when it differs. Default false. */
  strictResponseValidation?: boolean;
  /** The largest response body read, in bytes after decompression; a larger one fails the call. Default 100 MB. */
  maxResponseSize?: number;
  /**
   * AsyncPayi refuses to run in a browser, where anyone who opens the page could read the API
   * key and act with it on your account. Set this to `true` only when the page holds a key
   * that is safe to show, or talks to a proxy of yours rather than to Pay-i.
   */
  dangerouslyAllowBrowser?: boolean;
}

export interface RequestOptions {
  timeout?: number | Timeout;
  maxRetries?: number;
  /** Extra headers for this call; `null` removes a default one. */
  headers?: HeadersInit;
  /** Extra query parameters for this call. */
  query?: QueryInit;
  /** Extra JSON properties merged into an object body. */
  body?: Record<string, unknown>;
  /** Aborts the call, including a wait between retries. */
  signal?: AbortSignal;
}

/** The options of one call of the sync client: no `signal`, as nothing can abort a call that blocks its thread. */
export type SyncRequestOptions = Omit<RequestOptions, "signal">;

export const DEFAULT_BASE_URL = "https://api.pay-i.com";
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_MAX_RESPONSE_SIZE = 100_000_000;

/** Options with defaults and the environment applied: what a client runs with. */
export interface ResolvedOptions extends ClientOptions {
  apiKey: string;
  baseURL: string;
  timeout: Timeout;
  maxRetries: number;
  defaultHeaders: HeadersInit;
  defaultQuery: QueryInit;
  logLevel: LogLevel;
  strictResponseValidation: boolean;
  maxResponseSize: number;
}

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/** `Name: value` lines, as PAYI_CUSTOM_HEADERS holds them; a non-blank line of another form is an issue. */
function parseHeaderLines(text: string | undefined, issues: ValidationIssue[]): HeadersInit {
  const out: HeadersInit = {};
  for (const line of (text ?? "").split(/\r?\n/)) {
    const i = line.indexOf(":");
    // Stryker disable next-line MethodExpression: equivalent for the value, which a Headers trims as well.
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    else if (line.trim()) issues.push({ path: "PAYI_CUSTOM_HEADERS", message: `has a line that is not "Name: value"` });
  }
  return out;
}

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const apiKey = options.apiKey ?? env("PAYI_API_KEY");
  if (!apiKey) {
    throw new PayiError("No API key: pass `apiKey` to the client, or set the PAYI_API_KEY environment variable.");
  }
  const baseURL = (options.baseURL ?? env("PAYI_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  try {
    new URL(baseURL);
  } catch {
    throw new PayiError(`baseURL is not an absolute URL: ${JSON.stringify(baseURL)}`);
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0)
    throw new PayiError(`maxRetries must be a non-negative integer, got ${String(maxRetries)}`);
  const maxResponseSize = options.maxResponseSize ?? DEFAULT_MAX_RESPONSE_SIZE;
  if (!(maxResponseSize > 0))
    throw new PayiError(`maxResponseSize must be a positive number of bytes, got ${String(maxResponseSize)}`);
  // Refused here, once, rather than as a TypeError quoting the value on every call.
  const issues: ValidationIssue[] = [];
  // A key read from a file often ends with a newline; a header would drop surrounding spaces.
  const keyProblem =
    typeof apiKey !== "string"
      ? "must be a string"
      : apiKey.trim() !== apiKey
        ? "starts or ends with whitespace: trim it"
        : headerValueProblem(apiKey);
  if (keyProblem) issues.push({ path: options.apiKey === undefined ? "PAYI_API_KEY" : "apiKey", message: keyProblem });
  const fromEnv = parseHeaderLines(env("PAYI_CUSTOM_HEADERS"), issues);
  issues.push(
    ...headerIssues(fromEnv, "PAYI_CUSTOM_HEADERS"),
    ...headerIssues(options.defaultHeaders, "defaultHeaders"),
    ...urlIssues(Object.keys(options.defaultQuery ?? {}), options.defaultQuery, "defaultQuery."),
  );
  if (issues.length) throw new PayiValidationError("the client", issues, "options");
  return {
    ...options,
    apiKey,
    baseURL,
    timeout: Timeout.from(options.timeout),
    maxRetries,
    defaultHeaders: { ...fromEnv, ...options.defaultHeaders },
    defaultQuery: { ...options.defaultQuery },
    logLevel: options.logLevel ?? parseLogLevel(env("PAYI_LOG"), "PAYI_LOG") ?? "warn",
    strictResponseValidation: options.strictResponseValidation ?? false,
    maxResponseSize,
  };
}
