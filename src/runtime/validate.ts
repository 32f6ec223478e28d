/**
 * Checks params before anything is sent, and response bodies in strict mode, against the
 * zod schemas generated from the spec. Schemas are built once, on first use.
 */
import type { core } from "zod/mini";
import type { OperationId } from "../generated/api.js";
import { issueMessages } from "./issue-messages.js";
import { redactDeep, redactHeaders } from "./redact.js";
import { APIResponseValidationError, PayiValidationError, type ValidationIssue } from "./errors.js";

export function toIssues(error: Pick<core.$ZodError, "issues">): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ path: path ? `${path}.${key}` : key, message: "unknown field", code: issue.code });
      continue;
    }
    if (issue.code === "invalid_union") {
      // A nullable field fails as a union of "the type" or null: report why the non-null branch failed.
      const branch = issue.errors.find((b) => !isNullForm(b));
      if (branch?.length) {
        for (const inner of toIssues({ issues: branch })) {
          out.push({ ...inner, path: [path, inner.path].filter(Boolean).join(".") });
        }
        continue;
      }
    }
    out.push({ path, message: issue.message, code: issue.code });
  }
  return out;
}

/** The null form of a union fails with one issue, null expected at its own root (not at a field inside it). */
function isNullForm(issues: core.$ZodIssue[]): boolean {
  const only = issues[0] as { expected?: unknown; path: PropertyKey[] };
  return only.expected === "null" && only.path.length === 0;
}

/**
 * Params and events this SDK built or checked itself (the instrumentation's events, the ingest
 * queue's batches of checked events): sent as they are, without another check. Not part of
 * the public API.
 */
export const trusted = new WeakSet<object>();

let loaded: Promise<typeof import("../generated/schemas.js")> | undefined;

/** zod and the schemas, loaded on first use: none of it is on the import path (cold start). */
const ready = () => (loaded ??= import("../generated/schemas.js"));

const english = { error: issueMessages };

/** Rejects with a PayiValidationError naming every offending field; resolves on success. */
export async function validateParams(
  id: OperationId,
  params: Record<string, unknown>,
  earlier: ValidationIssue[],
): Promise<void> {
  const { paramsSchema } = await ready();
  const result = paramsSchema(id).safeParse(params, english);
  // A field reported already (a BigInt, a cycle) is not reported again in zod's words.
  // Stryker disable next-line ConditionalExpression: with no issue at all, the lines below throw nothing either
  if (result.success && !earlier.length) return;
  const named = new Set(earlier.map((i) => i.path));
  const issues = [...earlier, ...(result.success ? [] : toIssues(result.error).filter((i) => !named.has(i.path)))];
  // Stryker disable next-line ConditionalExpression: a failed check or an earlier issue always leaves an issue here
  if (issues.length) throw new PayiValidationError(`client.${id}`, issues);
}

/** Strict mode: a 2xx body must match the operation's response schema. The body itself is returned untouched. */
export async function validateResponse(
  id: OperationId,
  status: number,
  headers: Headers,
  body: unknown,
  secret?: string,
): Promise<void> {
  const { responseSchema } = await ready();
  const schema = responseSchema(id);
  // Stryker disable next-line ConditionalExpression: only operations that answer a body are checked; those have a schema
  if (!schema) return;
  const result = schema.safeParse(body, english);
  if (!result.success)
    throw new APIResponseValidationError(
      status,
      redactDeep(body, secret),
      redactHeaders(headers, secret),
      toIssues(result.error),
    );
}
