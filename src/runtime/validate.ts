/**
 * Checks params before anything is sent, and response bodies in strict mode, against the
 * zod schemas generated from the spec. Schemas compile once, on first use.
 */
import type { z } from "zod";
import type { OperationId } from "../generated/api.js";
import { loadZod, paramsSchema, responseSchema } from "../generated/schemas.js";
import { redactDeep, redactHeaders } from "./redact.js";
import { APIResponseValidationError, PayiValidationError, type ValidationIssue } from "./errors.js";

export function toIssues(error: z.ZodError): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: path ? `${path}.${key}` : key, message: "unknown field", code: issue.code });
      continue;
    }
    if (issue.code === "invalid_union") {
      // A nullable field fails as a union of "the type" or null: report why the non-null branch failed.
      const branch = issue.errors.find((b) => !b.some((i) => i.code === "invalid_type" && i.expected === "null"));
      if (branch?.length) {
        for (const inner of toIssues({ issues: branch } as z.ZodError)) {
          out.push({ ...inner, path: [path, inner.path].filter(Boolean).join(".") });
        }
        continue;
      }
    }
    let message = issue.message.replace(/^Invalid input: /, "");
    if (issue.code === "invalid_type" && /received undefined/.test(message)) message = "required";
    out.push({ path, message, code: issue.code });
  }
  return out;
}

/** Rejects with a PayiValidationError naming every offending field; resolves on success. */
export async function validateParams(id: OperationId, params: Record<string, unknown>, earlier: ValidationIssue[]): Promise<void> {
  await loadZod();
  const result = paramsSchema(id).safeParse(params);
  const issues = [...earlier, ...(result.success ? [] : toIssues(result.error))];
  if (issues.length) throw new PayiValidationError(`client.${id}`, issues);
}

/** Strict mode: a 2xx body must match the operation's response schema. The body itself is returned untouched. */
export async function validateResponse(id: OperationId, status: number, headers: Headers, body: unknown, secret?: string): Promise<void> {
  await loadZod();
  const schema = responseSchema(id);
  if (!schema) return;
  const result = schema.safeParse(body);
  if (!result.success) throw new APIResponseValidationError(status, redactDeep(body, secret), redactHeaders(headers, secret), toIssues(result.error));
}
