/**
 * A request as it arrived, back to the params object a client was given (SDK names; path,
 * query, header and body together), checked with the generated schemas the SDK checks with.
 * What breaks them is reported as violations in the form Prism's `sl-violations` header has.
 */
import { toJSONSchema } from "zod/mini";
import type { OperationId } from "../generated/api.js";
import { operations } from "../generated/operations.js";
import { paramsSchema } from "../generated/schemas.js";
import type { Violation } from "../runtime/errors.js";
import { issueMessages } from "../runtime/issue-messages.js";
import { toIssues } from "../runtime/validate.js";

export interface WireRequest {
  path: Record<string, string>;
  query: URLSearchParams;
  headers: Headers;
  /** The body's text; empty when none was sent. */
  body: string;
}

type Where = "path" | "query" | "header" | "body";

const typesCache = new Map<OperationId, Record<string, Set<string>>>();

/** The JSON types each param accepts, to read a query or header text as one of them. */
function paramTypes(id: OperationId): Record<string, Set<string>> {
  let types = typesCache.get(id);
  if (!types) {
    const schema = toJSONSchema(paramsSchema(id), { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, any>;
    };
    const collect = (s: any, into: Set<string>) => {
      if (!s || typeof s !== "object") return into;
      for (const t of [s.type].flat()) if (typeof t === "string") into.add(t);
      for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) collect(sub, into);
      return into;
    };
    types = Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([name, s]) => [name, collect(s, new Set())]),
    );
    typesCache.set(id, types);
  }
  return types;
}

/** A query or header text as the type its param takes; left as text when it is not one (the schema then says so). */
function read(text: string, types: Set<string> | undefined): unknown {
  if (!types) return text;
  if (types.has("array"))
    return text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if ((types.has("integer") || types.has("number")) && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(text))
    return Number(text);
  if (types.has("boolean") && /^(true|false)$/i.test(text.trim())) return text.trim().toLowerCase() === "true";
  return text;
}

export function readParams(
  id: OperationId,
  req: WireRequest,
): { params: Record<string, unknown>; body: unknown; violations: Violation[] } {
  const spec = operations[id];
  const types = paramTypes(id);
  const params: Record<string, unknown> = { ...req.path };
  const where: Record<string, [Where, string]> = {};
  for (const name of spec.pathParams ?? []) where[name] = ["path", name];
  for (const [sdk, wire] of spec.query ?? []) {
    where[sdk] = ["query", wire];
    const v = req.query.get(wire);
    if (v !== null) params[sdk] = read(v, types[sdk]);
  }
  for (const [sdk, wire] of spec.headers ?? []) {
    where[sdk] = ["header", wire.toLowerCase()];
    const v = req.headers.get(wire);
    if (v !== null) params[sdk] = read(v, types[sdk]);
  }
  const violations: Violation[] = [];
  let body: unknown;
  if (req.body) {
    try {
      body = JSON.parse(req.body);
    } catch {
      violations.push({
        location: ["request", "body"],
        severity: "Error",
        code: "json",
        message: "Request body is not valid JSON",
      });
    }
  }
  if (body !== undefined && spec.arrayBody) {
    params[spec.arrayBody] = body;
    where[spec.arrayBody] = ["body", ""];
  } else if (body !== undefined && spec.bodyFields) {
    if (body && typeof body === "object" && !Array.isArray(body)) {
      // Fields the document does not name are let through, as Prism and the service do.
      for (const f of spec.bodyFields)
        if ((body as Record<string, unknown>)[f] !== undefined) params[f] = (body as Record<string, unknown>)[f];
    } else {
      violations.push({
        location: ["request", "body"],
        severity: "Error",
        code: "type",
        message: "Request body must be object",
      });
    }
  }
  for (const f of spec.bodyFields ?? []) where[f] ??= ["body", f];
  if (!violations.length) {
    const result = paramsSchema(id).safeParse(params, { error: issueMessages });
    if (!result.success) {
      for (const issue of toIssues(result.error)) {
        const [first, ...rest] = issue.path.split(".");
        const [loc, wire] = where[first] ?? ["body", first];
        const location = ["request", loc, ...[wire, ...rest].filter(Boolean)];
        const named = loc === "body" ? location.slice(2).join(".") || "" : wire;
        violations.push({
          location,
          severity: "Error",
          code: issue.code ?? "invalid",
          message: `Request ${loc === "body" ? "body" : `${loc} parameter`}${named ? ` ${named}` : ""}: ${issue.message}`,
        });
      }
    }
  }
  return { params, body, violations };
}
