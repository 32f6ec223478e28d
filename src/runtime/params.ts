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
 * string maps the spec marks are sent as strings. Dates that are not dates are reported.
 */
export function normalize(spec: OperationSpec, params: Record<string, unknown>): { value: Record<string, unknown>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const value = convertDates(params, "", issues) as Record<string, unknown>;
  for (const field of spec.stringifyValues ?? []) {
    const map = value[field];
    if (map && typeof map === "object" && !Array.isArray(map)) {
      value[field] = Object.fromEntries(
        Object.entries(map).map(([k, v]) => [k, typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" ? String(v) : v]),
      );
    }
  }
  for (const [sdk, wire] of spec.headers ?? []) {
    const v = value[sdk];
    // List entries are checked as sent: trimmed (so a blank one, dropped, is no error).
    const texts = Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x.trim() : x)) : v === undefined || v === null ? [] : [v];
    // HTTP header values carry printable ASCII only; fetch would throw a TypeError naming nothing.
    if (texts.some((t) => typeof t === "string" && !/^[\x20-\x7E]*$/.test(t))) {
      issues.push({ path: sdk, message: `is sent as the header ${wire}, which holds printable ASCII only`, code: "invalid_header_value" });
    }
  }
  for (const name of spec.pathParams ?? []) {
    const v = value[name];
    // WHATWG URLs resolve "." and ".." (even percent-encoded) before sending, which would address another endpoint.
    if (v === "." || v === "..") issues.push({ path: name, message: `cannot be "${v}": it would address another endpoint`, code: "invalid_path_segment" });
  }
  return { value, issues };
}

function convertDates(v: unknown, path: string, issues: ValidationIssue[]): unknown {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) {
      issues.push({ path, message: "invalid Date", code: "invalid_date" });
      return v;
    }
    return v.toISOString();
  }
  if (Array.isArray(v)) return v.map((x, i) => convertDates(x, path ? `${path}.${i}` : String(i), issues));
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = convertDates(x, path ? `${path}.${k}` : k, issues);
    return out;
  }
  return v;
}

/** Splits validated params into the parts of the request. */
export function split(spec: OperationSpec, params: Record<string, unknown>): WireParts {
  const parts: WireParts = { path: {}, query: {}, header: {}, body: undefined };
  for (const name of spec.pathParams ?? []) parts.path[name] = String(params[name]);
  for (const [sdk, wire] of spec.query ?? []) {
    const v = params[sdk];
    if (v !== undefined && v !== null) parts.query[wire] = v;
  }
  for (const [sdk, wire] of spec.headers ?? []) {
    const v = headerValue(params[sdk]);
    if (v !== undefined) parts.header[wire] = v;
  }
  if (spec.arrayBody) parts.body = params[spec.arrayBody];
  else if (spec.bodyFields) {
    const body: Record<string, unknown> = {};
    for (const name of spec.bodyFields) if (params[name] !== undefined) body[name] = params[name];
    parts.body = body;
  }
  return parts;
}

/** Header serialization: lists comma-joined with entries trimmed and empties dropped; scalars as text; absent when empty. */
function headerValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => String(x).trim()).filter(Boolean);
    return items.length ? items.join(",") : undefined;
  }
  return String(v);
}
