// How a failed check becomes the issues of a PayiValidationError: one issue per unknown field,
// named by its full path; a field of a nullable form (the form or null) reports why the form
// failed, at the full path of what failed inside it (a null-typed field inside it included);
// a union with no such form says so.
import * as z from "zod/mini";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import { issueMessages } from "../../src/runtime/issue-messages.js";
import { toIssues } from "../../src/runtime/validate.js";

const issues = (schema: z.ZodMiniType, value: unknown) => {
  const result = schema.safeParse(value, { error: issueMessages });
  if (result.success) throw new Error("accepted");
  return toIssues(result.error);
};

describe("the issues of a check", () => {
  it("name each unknown field by its full path, at the top and nested", () => {
    const schema = z.strictObject({ a: z.strictObject({ b: z.string() }) });
    expect(issues(schema, { a: { b: "x", c: 1, d: 2 }, e: 3 })).toEqual([
      { path: "a.c", message: "unknown field", code: "unrecognized_keys" },
      { path: "a.d", message: "unknown field", code: "unrecognized_keys" },
      { path: "e", message: "unknown field", code: "unrecognized_keys" },
    ]);
  });

  it("give, for a nullable field, why its form failed, at the full path inside it", () => {
    const name = z.union([z.string().check(z.minLength(3)), z.null()]);
    expect(issues(z.object({ name }), { name: "ab" })).toEqual([
      { path: "name", message: "must have at least 3 characters", code: "too_small" },
    ]);
    const meta = z.union([z.null(), z.object({ n: z.int() })]);
    expect(issues(z.object({ meta }), { meta: { n: "x" } })).toEqual([
      { path: "meta.n", message: "expected integer, received string", code: "invalid_type" },
    ]);
    // At the top: the inner path alone.
    expect(issues(meta, { n: 1.5 })).toEqual([
      { path: "n", message: "expected integer, received number", code: "invalid_type" },
    ]);
  });

  it("give, for a nullable field of another type, the type its form expects", () => {
    const name = z.union([z.string().check(z.minLength(3)), z.null()]);
    expect(issues(z.object({ name }), { name: 5 })).toEqual([
      { path: "name", message: "expected string, received number", code: "invalid_type" },
    ]);
  });

  it("give, for a nullable field whose form fails on a null-typed field inside it, every field that failed", () => {
    const meta = z.union([z.null(), z.object({ gone: z.null(), n: z.int() })]);
    expect(issues(z.object({ meta }), { meta: { gone: 1, n: "x" } })).toEqual([
      { path: "meta.gone", message: "expected null, received number", code: "invalid_type" },
      { path: "meta.n", message: "expected integer, received string", code: "invalid_type" },
    ]);
  });

  it("say that a value matches none of the forms when every form is null", () => {
    expect(issues(z.object({ v: z.union([z.null(), z.null()]) }), { v: 5 })).toEqual([
      { path: "v", message: "matches none of the allowed forms", code: "invalid_union" },
    ]);
  });
});

describe("the issues of a call", () => {
  // Refused before anything is sent: no server is needed.
  const client = new AsyncPayi({ apiKey: "k-field-issues", baseURL: "http://127.0.0.1:9", logLevel: "off" });

  it("name a field the params check refused (a BigInt) once, not again in the schema's words, with the others", async () => {
    const err = await client.limits.list({ limit: 10n as never, cursor: 5 as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    const { issues, message } = err as PayiValidationError;
    expect(issues.map((i) => i.path)).toEqual(["limit", "cursor"]);
    expect(issues[1]).toEqual({ path: "cursor", message: "expected string, received number", code: "invalid_type" });
    expect(message).toMatch(/^Invalid params for client\.limits\.list: /);
  });
});
