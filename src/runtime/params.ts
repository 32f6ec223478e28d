/**
 * From the one params object a user passes to the wire's path, query, header and body,
 * by the operation table. The user's object is never modified: conversions work on a copy.
 */
import type { OperationSpec } from "../generated/operations.js";
import type { ValidationIssue } from "./errors.js";

export interface WireParts {
  path: Record<string, string>;
  query: Record<string, unknown>;
  header: Record<string, string>;
  body: unknown;
}

/**
 * The documented conversions, on a copy: a Date becomes its ISO 8601 string, and values of
 * string maps the spec marks are sent as strings. What JSON or a URL cannot carry is
 * reported by path rather than thrown later by JSON.stringify or encodeURIComponent.
 */
export function normalize(
  spec: OperationSpec,
  params: Record<string, unknown>,
): { value: Record<string, unknown>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const value = plainCopy(params, "", issues, spec.stringifyValues) as Record<string, unknown>;
  // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
  for (const [sdk, wire] of spec.headers ?? []) {
    const v = value[sdk];
    // List entries are checked as sent: trimmed (so a blank one, dropped, is no error).
    const texts = Array.isArray(v)
      ? v.map((x) => (typeof x === "string" ? x.trim() : x))
      : // Stryker disable next-line ConditionalExpression,LogicalOperator: [undefined] and [null] hold no string either
        v === undefined || v === null
        ? // Stryker disable next-line ArrayDeclaration: the mutant's text is printable ASCII
          []
        : [v];
    // HTTP header values carry printable ASCII only; fetch would throw a TypeError naming nothing.
    if (texts.some((t) => typeof t === "string" && !/^[\x20-\x7E]*$/.test(t))) {
      issues.push({
        path: sdk,
        message: `is sent as the header ${wire}, which holds printable ASCII only`,
        code: "invalid_header_value",
      });
    }
  }
  // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
  for (const name of spec.pathParams ?? []) {
    const v = value[name];
    // WHATWG URLs resolve "." and ".." (even percent-encoded) before sending, which would address another endpoint.
    if (v === "." || v === "..")
      issues.push({
        path: name,
        message: `cannot be "${v}": it would address another endpoint`,
        code: "invalid_path_segment",
      });
  }
  issues.push(
    // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
    ...urlIssues(spec.pathParams ?? [], value, ""),
    ...urlIssues(
      // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
      (spec.query ?? []).map(([sdk]) => sdk),
      value,
      "",
    ),
  );
  return { value, issues };
}

/** Values a URL cannot carry: a lone UTF-16 surrogate (encodeURIComponent throws on it). */
export function urlIssues(
  names: Iterable<string>,
  values: Record<string, unknown> | undefined,
  prefix: string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const name of names) {
    // Stryker disable next-line OptionalChaining: with no values there are no names
    const v = values?.[name];
    for (const text of Array.isArray(v) ? v : [v]) {
      // Stryker disable next-line ConditionalExpression: the other values a query carries (numbers, booleans, null) print no surrogate
      if (typeof text === "string" && /\p{Cs}/u.test(text)) {
        issues.push({
          path: prefix + name,
          message: "holds a lone UTF-16 surrogate, which a URL cannot carry",
          code: "invalid_string",
        });
        break;
      }
    }
  }
  return issues;
}

/**
 * A copy of a value as JSON will carry it, made without invoking anything but getters (a
 * getter that throws is reported): Dates as ISO strings, null-prototype objects as plain
 * ones, arrays by index (an own `constructor` is not consulted); cycles, BigInts, functions,
 * symbols, non-finite numbers and other objects reported. `stringify` names the fields whose
 * map values are sent as strings.
 */
export function plainCopy(
  v: unknown,
  path: string,
  issues: ValidationIssue[],
  stringify?: readonly string[],
  // Stryker disable next-line ArrayDeclaration: a string is never a parent object
  parents: object[] = [],
): unknown {
  if (typeof v !== "object" || v === null) {
    const problem =
      typeof v === "bigint" || typeof v === "function" || typeof v === "symbol"
        ? `a ${typeof v}`
        : // Stryker disable next-line ConditionalExpression,LogicalOperator: the copy's fast path takes finite numbers, strings and booleans
          typeof v === "number" && !Number.isFinite(v)
          ? String(v)
          : undefined;
    // Stryker disable next-line ConditionalExpression: only values that cannot be sent reach here (the copy's fast path takes the rest)
    if (problem) issues.push({ path, message: `${problem} cannot be sent as JSON`, code: "not_json" });
    return v;
  }
  if (v instanceof Date) {
    if (!Number.isNaN(v.getTime())) return v.toISOString();
    issues.push({ path, message: "invalid Date", code: "invalid_date" });
    return v;
  }
  const isArray = Array.isArray(v);
  const proto = isArray ? null : Object.getPrototypeOf(v);
  const problem = parents.includes(v)
    ? "refers to an object that contains it (a cycle)"
    : proto !== Object.prototype && proto !== null
      ? // Stryker disable next-line OptionalChaining: proto is not null here
        `must be plain data, got ${proto?.constructor?.name ?? "an object"}`
      : undefined;
  if (problem) {
    issues.push({ path, message: problem, code: "not_json" });
    return v;
  }
  parents.push(v);
  const out: Record<string, unknown> = isArray ? ([] as unknown as Record<string, unknown>) : {};
  let keys: string[] | number;
  try {
    keys = isArray ? (v as unknown[]).length : Object.keys(v);
  } catch {
    // A Proxy whose keys cannot be listed.
    issues.push({ path, message: "could not be read", code: "unreadable" });
    // Stryker disable next-line ArrayDeclaration: the value is refused already; a key it does not have reads as undefined
    keys = [];
  }
  const count = typeof keys === "number" ? keys : keys.length;
  for (let i = 0; i < count; i++) {
    const k = typeof keys === "number" ? String(i) : keys[i];
    let x: unknown;
    try {
      x = (v as Record<string, unknown>)[k];
    } catch {
      issues.push({
        path: path ? `${path}.${k}` : k,
        message: "could not be read: its getter threw",
        code: "unreadable",
      });
      continue;
    }
    // In a string map the spec marks, a number, boolean or BigInt is sent as its text.
    if (stringify === STRING_VALUES && (typeof x === "number" || typeof x === "boolean" || typeof x === "bigint"))
      out[k] = String(x);
    else if (
      // Stryker disable ConditionalExpression,LogicalOperator,EqualityOperator,StringLiteral: a fast path: plainCopy gives these primitives back as they are too
      typeof x === "string" ||
      typeof x === "boolean" ||
      x === null ||
      x === undefined ||
      (typeof x === "number" && Number.isFinite(x))
    )
      // Stryker restore ConditionalExpression,LogicalOperator,EqualityOperator,StringLiteral
      out[k] = x;
    else
      out[k] = plainCopy(
        x,
        path ? `${path}.${k}` : k,
        issues,
        !path && stringify?.includes(k) ? STRING_VALUES : undefined,
        parents,
      );
  }
  parents.pop();
  return out;
}

/** Marks the values of a string map while copying it. */
// Stryker disable next-line ArrayDeclaration: a marker compared by identity; a key of that name in a string map is refused anyway
const STRING_VALUES: readonly string[] = [];

/** Splits validated params into the parts of the request. */
export function split(spec: OperationSpec, params: Record<string, unknown>): WireParts {
  const parts: WireParts = { path: {}, query: {}, header: {}, body: undefined };
  // Stryker disable next-line ArrayDeclaration: a path parameter the path does not name is not sent
  for (const name of spec.pathParams ?? []) parts.path[name] = String(params[name]);
  // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
  for (const [sdk, wire] of spec.query ?? []) {
    const v = params[sdk];
    // Stryker disable next-line ConditionalExpression: null was refused by validation (and openapi-fetch drops it)
    if (v !== undefined && v !== null) parts.query[wire] = v;
  }
  // Stryker disable next-line ArrayDeclaration: a spec without the list gives one name no params hold
  for (const [sdk, wire] of spec.headers ?? []) {
    const v = headerValue(params[sdk]);
    // Stryker disable next-line ConditionalExpression: openapi-fetch sends no header for undefined
    if (v !== undefined) parts.header[wire] = v;
  }
  if (spec.arrayBody) parts.body = params[spec.arrayBody];
  else if (spec.bodyFields) {
    const body: Record<string, unknown> = {};
    // Stryker disable next-line ConditionalExpression: JSON leaves out a member whose value is undefined
    for (const name of spec.bodyFields) if (params[name] !== undefined) body[name] = params[name];
    parts.body = body;
  }
  return parts;
}

/** Header serialization: lists comma-joined with entries trimmed and empties dropped; scalars as text; absent when empty. */
function headerValue(v: unknown): string | undefined {
  // Stryker disable next-line ConditionalExpression: null was refused by validation
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => String(x).trim()).filter(Boolean);
    return items.length ? items.join(",") : undefined;
  }
  return String(v);
}
