/**
 * The one path every call takes: params checked and converted, split by the operation
 * table, handed to openapi-fetch with a fetch that retries, and the answer turned into a
 * result, a page, a raw or streaming response, or an error.
 */
import type { Client } from "openapi-fetch";
import type { OperationId } from "../generated/api.js";
import { operations } from "../generated/operations.js";
import { APIError, APIResponseValidationError, PayiValidationError, type ValidationIssue } from "./errors.js";
import { withKey } from "./auth.js";
import { bodyText, createFetch } from "./fetch.js";
import { defaultExchange } from "./transport.js";
import { fetchExchange } from "./exchange.js";
import { warnOnce, type Logger } from "./logger.js";
import { normalize, plainCopy, split, urlIssues } from "./params.js";
import { headerIssues } from "./header-values.js";
import { redactDeep, redactHeaders, redactText } from "./redact.js";
import { Page, PagePromise, type PageBody } from "./pagination.js";
import { APIPromise, unread, type Answer } from "./api-promise.js";
import { RawResponse, StreamingResponse } from "./responses.js";
import { Timeout } from "./timeout.js";
import { trusted, validateParams, validateResponse } from "./validate.js";
import type { HeadersInit, RequestOptions, ResolvedOptions } from "./options.js";

export interface CallContext {
  options: ResolvedOptions;
  http: Client<any>;
  logger: Logger;
}

type Mode = "parsed" | "raw" | "stream" | "answer";

/** Runs an operation; what it resolves to depends on the mode and on whether the operation is a list. */
export function call(
  ctx: CallContext,
  id: OperationId,
  params: unknown,
  options: RequestOptions | undefined,
  mode: Mode,
): Promise<unknown> {
  const spec = operations[id];
  if (spec.paginated && mode === "parsed") {
    const base = (params ?? {}) as Record<string, unknown>;
    const fetchPage = (cursor: string | undefined, previous?: Page<unknown>): Promise<Page<unknown>> =>
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: unreachable, a next page always has a cursor; perform parses in any mode but raw, stream and answer.
      perform(ctx, id, cursor === undefined ? base : { ...base, cursor }, options, "parsed").then(
        (body) =>
          new Page(body as PageBody<unknown>, fetchPage, cursor ?? (base.cursor as string | undefined), previous),
      );
    const first = perform(ctx, id, base, options, "answer") as Promise<Answer<PageBody<unknown>>>;
    return PagePromise.from(
      () => first.then(async (a) => new Page(await a.parse(), fetchPage, base.cursor as string | undefined)),
      () => first.then((a) => unread(a.response)),
    );
  }
  if (mode === "parsed") return new APIPromise(perform(ctx, id, params, options, "answer") as Promise<Answer<unknown>>);
  return perform(ctx, id, params, options, mode);
}

async function perform(
  ctx: CallContext,
  id: OperationId,
  params: unknown,
  options: RequestOptions = {},
  mode: Mode,
): Promise<unknown> {
  const spec = operations[id];
  // One warning per deprecated namespace and process: enough to notice, never noise in a loop.
  if (spec.deprecated)
    // Stryker disable next-line StringLiteral: equivalent while one namespace (experiences) is deprecated.
    warnOnce(ctx.logger, `deprecated:${id.split(".")[0]}`, `client.${id} is deprecated. ${spec.deprecated}`);
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
    throw new PayiValidationError(`client.${id}`, [
      {
        path: "",
        message: `params must be an object, got ${Array.isArray(params) ? "an array" : params === null ? "null" : typeof params}`,
      },
    ]);
  }
  // Params this SDK built or checked itself (a queue's batch of checked events) go as they are.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, checked params pass the check again (only time is saved), and undefined is never in a WeakSet.
  const checked = params !== undefined && trusted.has(params);
  const { value, issues } = checked
    ? { value: params as Record<string, unknown>, issues: [] }
    : normalize(spec, (params ?? {}) as Record<string, unknown>);
  // The per-call extras are sent as given, unchecked by the spec: only what cannot be sent at all is refused.
  issues.push(
    ...headerIssues(options.headers, "options.headers"),
    ...urlIssues(Object.keys(options.query ?? {}), options.query, "options.query."),
  );
  if (options.body !== undefined) {
    plainCopy(options.body, "options.body", issues);
    // Merged into the JSON object the operation sends: without one, they would be dropped.
    if (!spec.bodyFields) issues.push({ path: "options.body", message: `client.${id} sends no JSON body` });
  }
  // Stryker disable next-line ConditionalExpression: equivalent, checked params pass the check again (only time is saved).
  if (!checked || issues.length) await validateParams(id, value, issues);
  const parts = split(spec, value);

  const o = ctx.options;
  const timeout = options.timeout === undefined ? o.timeout : Timeout.from(options.timeout);
  const query = { ...stripNullish(o.defaultQuery), ...parts.query, ...stripNullish(options.query ?? {}) };
  let body = parts.body;
  if (options.body) body = { ...(body as object), ...options.body };

  const fetch = createFetch({
    exchange: o.fetch ? fetchExchange(o.fetch) : defaultExchange(timeout.connect),
    timeoutMs: timeout.timeout,
    // A fetch of the user's own applies its own connect timeout, if any.
    connectTimeoutMs: o.fetch ? undefined : timeout.connect,
    maxRetries: options.maxRetries ?? o.maxRetries,
    signal: options.signal,
    configuredHeaders: () => Object.keys(o.defaultHeaders).filter((name) => !hasHeader(options.headers, name)),
    stream: mode === "stream",
    maxResponseSize: o.maxResponseSize,
    logger: ctx.logger,
  });
  ctx.logger.debug(`${spec.method} ${spec.path} (client.${id})`);
  const { response, error } = await ctx.http.request(spec.method.toLowerCase() as "get", spec.path, {
    params: { path: parts.path, query, header: parts.header },
    body: body as never,
    headers: withKey(mergeHeaders(o.defaultHeaders, options.headers), o.apiKey),
    parseAs: "stream",
    fetch,
  } as never);

  if (!response.ok) throw APIError.fromResponse(response.status, error, response.headers, o.apiKey);

  const parse = (r: Response) => parseBody(ctx, id, r);
  if (mode === "raw") return new RawResponse(response, parse);
  if (mode === "stream") return new StreamingResponse(response, parse);
  if (mode === "answer") return { response, parse: () => parse(response) } satisfies Answer<unknown>;
  return parse(response);
}

async function parseBody(ctx: CallContext, id: OperationId, response: Response): Promise<unknown> {
  if (operations[id].noContent) {
    // Stryker disable next-line ConditionalExpression: always true is equivalent, a used body is null or locked, and cancelling that fails quietly.
    if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
    return undefined;
  }
  const text = await bodyText(response);
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    const shown = redactText(text, ctx.options.apiKey);
    throw new APIResponseValidationError(
      response.status,
      shown,
      redactHeaders(response.headers, ctx.options.apiKey),
      [],
      `The service answered ${response.status} with a body that is not JSON: ${shown.slice(0, 200)}`,
    );
  }
  if (operations[id].paginated) {
    // Iterating a page reads these two whatever the mode: anything else is no list at all.
    const issues = pageShapeIssues(body);
    if (issues.length)
      throw new APIResponseValidationError(
        response.status,
        redactDeep(body, ctx.options.apiKey),
        redactHeaders(response.headers, ctx.options.apiKey),
        issues,
      );
  }
  if (ctx.options.strictResponseValidation)
    await validateResponse(id, response.status, response.headers, body, ctx.options.apiKey);
  return body;
}

function mergeHeaders(...sets: (HeadersInit | undefined)[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const names = new Map<string, string>();
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) {
      if (value === undefined) continue;
      // Stryker disable next-line MethodExpression: equivalent, upper case folds names alike.
      const key = name.toLowerCase();
      const prev = names.get(key);
      // Stryker disable next-line ConditionalExpression: always true is equivalent, `delete out[undefined]` deletes nothing.
      if (prev !== undefined) delete out[prev];
      names.set(key, name);
      out[name] = value;
    }
  }
  return out;
}

/** A list answer must be an object, its items an array and its cursor a string, when given. */
function pageShapeIssues(body: unknown): ValidationIssue[] {
  const { items, cursor } = (body ?? {}) as Record<string, unknown>;
  return typeof body !== "object" || !body || Array.isArray(body)
    ? [{ path: "", message: "a list answer must be an object" }]
    : [
        ...(items != null && !Array.isArray(items) ? [{ path: "items", message: "expected array" }] : []),
        ...(cursor != null && typeof cursor !== "string" ? [{ path: "cursor", message: "expected string" }] : []),
      ];
}

function hasHeader(set: HeadersInit | undefined, name: string): boolean {
  const key = name.toLowerCase();
  return Object.keys(set ?? {}).some((n) => n.toLowerCase() === key);
}

function stripNullish(q: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== null));
}
