// The message of each kind of issue a params check raises, as a user reads it in a
// PayiValidationError: what the field must be, and what it was.
import * as z from "zod/mini";
import { describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import { issueMessages } from "../../src/runtime/issue-messages.js";

const message = (schema: z.ZodMiniType, value: unknown): string[] => {
  const result = schema.safeParse(value, { error: issueMessages });
  if (result.success) throw new Error("accepted");
  return result.error.issues.map((i) => i.message);
};

describe("issue messages", () => {
  it("a missing or mistyped value", () => {
    expect(message(z.object({ a: z.string() }), {})).toEqual(["required"]);
    expect(message(z.string(), 5)).toEqual(["expected string, received number"]);
    expect(message(z.string(), null)).toEqual(["expected string, received null"]);
    expect(message(z.string(), [1])).toEqual(["expected string, received array"]);
    expect(message(z.number(), Number.NaN)).toEqual(["expected number, received NaN"]);
    expect(message(z.int(), 1.5)).toEqual(["expected integer, received number"]);
    expect(message(z.int(), "1")).toEqual(["expected integer, received string"]);
    expect(message(z.int32(), 1.5)).toEqual(["expected integer, received number"]);
  });

  it("a bound, in characters or items, or as a comparison", () => {
    expect(message(z.string().check(z.minLength(1)), "")).toEqual(["must have at least 1 character"]);
    expect(message(z.string().check(z.minLength(3)), "ab")).toEqual(["must have at least 3 characters"]);
    expect(message(z.string().check(z.maxLength(2)), "abc")).toEqual(["must have at most 2 characters"]);
    expect(message(z.array(z.string()).check(z.minLength(1)), [])).toEqual(["must have at least 1 item"]);
    expect(message(z.array(z.string()).check(z.maxLength(1)), ["a", "b"])).toEqual(["must have at most 1 item"]);
    expect(message(z.set(z.string()).check(z.maxSize(1)), new Set(["a", "b"]))).toEqual(["must have at most 1 item"]);
    expect(message(z.number().check(z.gte(5)), 4)).toEqual(["must be >= 5"]);
    expect(message(z.number().check(z.gt(5)), 5)).toEqual(["must be > 5"]);
    expect(message(z.number().check(z.lte(5)), 6)).toEqual(["must be <= 5"]);
    expect(message(z.number().check(z.lt(5)), 5)).toEqual(["must be < 5"]);
    expect(message(z.int().check(z.minimum(-5), z.maximum(5)), 6)).toEqual(["must be <= 5"]);
    expect(message(z.int().check(z.minimum(-5), z.maximum(5)), -6)).toEqual(["must be >= -5"]);
  });

  it("a format, a set of values, a multiple", () => {
    expect(message(z.iso.datetime(), "yesterday")).toEqual([
      "must be an ISO 8601 date-time (such as 2025-02-03T10:00:00Z) or a Date",
    ]);
    expect(message(z.email(), "nobody")).toEqual(["must be a valid email"]);
    expect(message(z.enum(["block"]), "allow")).toEqual(['must be "block"']);
    expect(message(z.enum(["block", "allow"]), "warn")).toEqual(['must be one of "block", "allow"']);
    expect(message(z.number().check(z.multipleOf(5)), 7)).toEqual(["must be a multiple of 5"]);
  });

  it("the shape of an object, a record, a map or a union", () => {
    expect(message(z.strictObject({ a: z.string() }), { a: "x", b: 1 })).toEqual(["unknown field"]);
    expect(message(z.record(z.string().check(z.minLength(2)), z.string()), { a: "x" })).toEqual([
      "has a key that is not allowed",
    ]);
    expect(message(z.map(z.unknown(), z.number()), new Map([[{}, "x"]]))).toEqual(["has an entry that is not allowed"]);
    expect(message(z.union([z.string(), z.number()]), true)).toEqual(["matches none of the allowed forms"]);
    expect(message(z.string().check(z.refine(() => false)), "x")).toEqual(["is not valid"]);
  });
});

describe("a field of several forms, as a call reports it", () => {
  // Refused before anything is sent: no server is needed.
  const client = new AsyncPayi({ apiKey: "k-issues", baseURL: "http://127.0.0.1:9", logLevel: "off" });

  it("names the field and what its first form expects", async () => {
    const units = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 1 } } };
    const err = await client.ingest
      .units({ ...units, provider_response_json: 5 as never })
      .catch((e: PayiValidationError) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect((err as PayiValidationError).issues).toEqual([
      { path: "provider_response_json", message: "expected string, received number", code: "invalid_type" },
    ]);
  });
});
