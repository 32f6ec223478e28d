/**
 * Request-scoped context: what each tracked call is attributed to (use case, user, limits,
 * properties, pricing overrides). `track(context, fn)` runs `fn` in a scope held by
 * AsyncLocalStorage, so concurrent requests never see each other's scope, however their
 * awaits interleave.
 *
 * Nesting, scope by scope from the root context outwards:
 * - `use_case_name` absent: the parent's use case (name, id, version, step, properties) goes
 *   on, with the child's id, version, step and properties applied to it; `""` clears every
 *   use-case field; the parent's name again keeps the parent's id unless one is given; a new
 *   name starts a new use case instance: a fresh id unless one is given, and only the child's
 *   version, step and properties (the parent's belong to another use case).
 * - `limit_ids`: absent inherits, `[]` clears, otherwise the parent's and the child's together.
 * - `user_id`, `account_name`, `price_as_category`, `price_as_resource`, `resource_scope`:
 *   the child's, else the parent's; `""` clears.
 * - `request_properties`, `use_case_properties`: merged, the child's keys win; `{}` clears.
 * - `log_prompt_and_response`, `proxy`: the child's, else the parent's.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export type Properties = Record<string, string | null>;

/** What calls made inside a scope are attributed to. */
export interface PayiContext {
  use_case_name?: string;
  use_case_id?: string;
  use_case_version?: number;
  use_case_step?: string;
  use_case_properties?: Properties;
  limit_ids?: string[];
  user_id?: string;
  account_name?: string;
  request_properties?: Properties;
  price_as_category?: string;
  price_as_resource?: string;
  resource_scope?: string;
  /** false: request and response bodies are not sent to Pay-i. */
  log_prompt_and_response?: boolean;
  /** Calls go through Pay-i's proxy: the context travels as headers and nothing is ingested. */
  proxy?: boolean;
}

/** One `track()` scope: what it was given, and the id it starts its use case with if its rules call for one. */
interface Frame {
  readonly given: PayiContext;
  readonly freshId: string;
  readonly parent: Frame | undefined;
}

const storage = new AsyncLocalStorage<Frame>();

const str = (child: string | undefined, parent: string | undefined): string | undefined =>
  child === undefined || child === null ? parent : child === "" ? undefined : child;

function props(child: Properties | undefined, parent: Properties | undefined): Properties | undefined {
  if (child === undefined || child === null) return parent;
  if (Object.keys(child).length === 0) return undefined;
  return parent ? { ...parent, ...child } : { ...child };
}

const USE_CASE_FIELDS = [
  "use_case_name",
  "use_case_id",
  "use_case_version",
  "use_case_step",
  "use_case_properties",
] as const;

/** The context of `child` inside `parent`, by the rules above. `freshId` is the id a new use case starts with. */
export function nest(parent: PayiContext, child: PayiContext, freshId: () => string = randomUUID): PayiContext {
  const out: PayiContext = {};
  const set = <K extends keyof PayiContext>(k: K, v: PayiContext[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("proxy", child.proxy ?? parent.proxy);
  set("log_prompt_and_response", child.log_prompt_and_response ?? parent.log_prompt_and_response);

  const name = child.use_case_name;
  if (name === undefined || name === null) {
    if (parent.use_case_name) {
      set("use_case_name", parent.use_case_name);
      set("use_case_id", str(child.use_case_id, parent.use_case_id));
      set("use_case_version", child.use_case_version ?? parent.use_case_version);
      set("use_case_step", str(child.use_case_step, parent.use_case_step));
      set("use_case_properties", props(child.use_case_properties, parent.use_case_properties));
    }
  } else if (name !== "") {
    const same = name === parent.use_case_name;
    set("use_case_name", name);
    set("use_case_id", str(child.use_case_id, same ? parent.use_case_id : freshId()));
    set("use_case_version", child.use_case_version ?? (same ? parent.use_case_version : undefined));
    set("use_case_step", str(child.use_case_step, same ? parent.use_case_step : undefined));
    set("use_case_properties", props(child.use_case_properties, same ? parent.use_case_properties : undefined));
  }

  const limits = child.limit_ids;
  if (limits === undefined || limits === null) set("limit_ids", parent.limit_ids);
  else if (limits.length) set("limit_ids", [...new Set([...(parent.limit_ids ?? []), ...limits])]);

  for (const k of ["user_id", "account_name", "price_as_category", "price_as_resource", "resource_scope"] as const)
    set(k, str(child[k], parent[k]));
  set("request_properties", props(child.request_properties, parent.request_properties));
  return out;
}

/** Checks what `track()` or `instrument()` was given; throws a TypeError naming the field. */
export function checkContext(c: unknown, where: string): PayiContext {
  if (c === undefined || c === null) return {};
  if (typeof c !== "object" || Array.isArray(c)) throw new TypeError(`${where}: the context must be an object`);
  const ctx = c as Record<string, unknown>;
  const fail = (k: string, what: string) => {
    throw new TypeError(`${where}: ${k} must be ${what}, got ${JSON.stringify(ctx[k])}`);
  };
  for (const k of [
    "use_case_name",
    "use_case_id",
    "use_case_step",
    "user_id",
    "account_name",
    "price_as_category",
    "price_as_resource",
    "resource_scope",
  ]) {
    if (ctx[k] !== undefined && typeof ctx[k] !== "string") fail(k, "a string");
  }
  if (ctx.use_case_version !== undefined && !Number.isInteger(ctx.use_case_version))
    fail("use_case_version", "an integer");
  if (
    ctx.limit_ids !== undefined &&
    !(Array.isArray(ctx.limit_ids) && ctx.limit_ids.every((x) => typeof x === "string"))
  )
    fail("limit_ids", "an array of strings");
  for (const k of ["use_case_properties", "request_properties"]) {
    const v = ctx[k];
    if (
      v !== undefined &&
      (typeof v !== "object" ||
        v === null ||
        Array.isArray(v) ||
        !Object.values(v).every((x) => x === null || typeof x === "string"))
    )
      fail(k, "an object of strings");
  }
  for (const k of ["log_prompt_and_response", "proxy"])
    if (ctx[k] !== undefined && typeof ctx[k] !== "boolean") fail(k, "a boolean");
  return ctx as PayiContext;
}

/**
 * Runs `fn` in a scope with this context nested in the current one; what `fn` returns is
 * returned (a promise stays a promise). Calls made by instrumented clients inside are
 * attributed to it.
 */
export function track<T>(context: PayiContext, fn: () => T): T {
  const given = checkContext(context, "track");
  if (typeof fn !== "function") throw new TypeError("track: fn must be a function");
  return storage.run({ given: { ...given }, freshId: randomUUID(), parent: storage.getStore() }, fn);
}

/** The context in force here, nested in `root` (the instrumentor's root context). */
export function currentContext(root: PayiContext = {}): PayiContext {
  const frames: Frame[] = [];
  for (let f = storage.getStore(); f; f = f.parent) frames.push(f);
  let ctx = root;
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    ctx = nest(ctx, f.given, () => f.freshId);
  }
  return ctx;
}

/** The context of the current `track()` scopes (without any instrumentor's root context). */
export function getContext(): PayiContext {
  return structuredClone(currentContext());
}

/** The `xProxy-*` headers, by their lower-cased names. */
export const HEADERS = {
  limit_ids: "xproxy-limit-ids",
  use_case_name: "xproxy-usecase-name",
  use_case_id: "xproxy-usecase-id",
  use_case_version: "xproxy-usecase-version",
  use_case_step: "xproxy-usecase-step",
  use_case_properties: "xproxy-usecase-properties",
  user_id: "xproxy-user-id",
  account_name: "xproxy-account-name",
  request_properties: "xproxy-request-properties",
  price_as_category: "xproxy-priceas-category",
  price_as_resource: "xproxy-priceas-resource",
  resource_scope: "xproxy-resource-scope",
  logging_disable: "xproxy-logging-disable",
} as const;

/** The header names as Pay-i's proxy spells them, for proxy mode. */
const SPELLING: Record<string, string> = {
  "xproxy-limit-ids": "xProxy-Limit-IDs",
  "xproxy-usecase-name": "xProxy-UseCase-Name",
  "xproxy-usecase-id": "xProxy-UseCase-ID",
  "xproxy-usecase-version": "xProxy-UseCase-Version",
  "xproxy-usecase-step": "xProxy-UseCase-Step",
  "xproxy-usecase-properties": "xProxy-UseCase-Properties",
  "xproxy-user-id": "xProxy-User-ID",
  "xproxy-account-name": "xProxy-Account-Name",
  "xproxy-request-properties": "xProxy-Request-Properties",
  "xproxy-priceas-category": "xProxy-PriceAs-Category",
  "xproxy-priceas-resource": "xProxy-PriceAs-Resource",
  "xproxy-resource-scope": "xProxy-Resource-Scope",
  "xproxy-logging-disable": "xProxy-Logging-Disable",
};

function parseProps(value: string): Properties | undefined {
  try {
    const v = JSON.parse(value) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? null : String(x)]));
  } catch {
    // Not JSON: the header is ignored rather than breaking the call.
  }
  return undefined;
}

/**
 * Applies one call's `xProxy-*` headers to its context: a header beats the context, an empty
 * value removes the field (an empty use case name removes the whole use case).
 */
export function applyHeaders(ctx: PayiContext, headers: Headers): PayiContext {
  const out: PayiContext = { ...ctx };
  const has = (h: string) => headers.has(h);
  const get = (h: string) => (headers.get(h) ?? "").trim();
  if (has(HEADERS.use_case_name)) {
    const name = get(HEADERS.use_case_name);
    for (const k of USE_CASE_FIELDS) delete out[k];
    if (name) out.use_case_name = name;
  }
  const strings = [
    "use_case_id",
    "use_case_step",
    "user_id",
    "account_name",
    "price_as_category",
    "price_as_resource",
    "resource_scope",
  ] as const;
  for (const k of strings) {
    if (!has(HEADERS[k])) continue;
    const v = get(HEADERS[k]);
    if (v) out[k] = v;
    else delete out[k];
  }
  if (has(HEADERS.use_case_version)) {
    const v = Number(get(HEADERS.use_case_version));
    if (Number.isInteger(v) && get(HEADERS.use_case_version)) out.use_case_version = v;
    else delete out.use_case_version;
  }
  if (has(HEADERS.limit_ids)) {
    const ids = get(HEADERS.limit_ids)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length) out.limit_ids = ids;
    else delete out.limit_ids;
  }
  for (const k of ["request_properties", "use_case_properties"] as const) {
    if (!has(HEADERS[k])) continue;
    const v = get(HEADERS[k]);
    const p = v ? parseProps(v) : undefined;
    if (p) out[k] = p;
    else delete out[k];
  }
  if (has(HEADERS.logging_disable)) out.log_prompt_and_response = false;
  return out;
}

/** Removes every `xProxy-*` header, so none reaches the provider. */
export function stripPayiHeaders(headers: Headers): void {
  const names: string[] = [];
  headers.forEach((_v, k) => {
    if (k.startsWith("xproxy-")) names.push(k);
  });
  for (const k of names) headers.delete(k);
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * Proxy mode: the context as the headers Pay-i's proxy reads, added where the call does not
 * carry the header itself (an empty one is removed). Properties travel as base64 JSON there.
 */
export function addProxyHeaders(ctx: PayiContext, headers: Headers): void {
  for (const h of Object.values(HEADERS)) {
    if (headers.has(h) && headers.get(h) === "") headers.delete(h);
  }
  const put = (h: string, v: string | undefined) => {
    if (v !== undefined && v !== "" && !headers.has(h)) headers.set(SPELLING[h] ?? h, v);
  };
  for (const k of ["request_properties", "use_case_properties"] as const) {
    const given = headers.get(HEADERS[k]);
    if (given) headers.set(SPELLING[HEADERS[k]], b64(given));
    else if (ctx[k] && Object.keys(ctx[k]!).length) put(HEADERS[k], b64(JSON.stringify(ctx[k])));
  }
  if (ctx.limit_ids?.length) put(HEADERS.limit_ids, ctx.limit_ids.join(","));
  put(HEADERS.user_id, ctx.user_id);
  put(HEADERS.account_name, ctx.account_name);
  if (!headers.has(HEADERS.use_case_name) && ctx.use_case_name) {
    put(HEADERS.use_case_name, ctx.use_case_name);
    put(HEADERS.use_case_id, ctx.use_case_id);
    put(HEADERS.use_case_version, ctx.use_case_version === undefined ? undefined : String(ctx.use_case_version));
    put(HEADERS.use_case_step, ctx.use_case_step);
  }
  put(HEADERS.price_as_category, ctx.price_as_category);
  put(HEADERS.price_as_resource, ctx.price_as_resource);
  put(HEADERS.resource_scope, ctx.resource_scope);
  if (ctx.log_prompt_and_response === false) put(HEADERS.logging_disable, "True");
}
