// Property: whatever value a field gets, the call either passes validation and the mock (which
// enforces the spec) accepts it, or it is refused locally and nothing reaches the server.
// Never a crash, never a 422 from the mock.
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { toJSONSchema } from "zod/mini";
import { paramsSchema } from "../../src/generated/schemas.js";
import { operationFixtures } from "../fixtures/operations.js";

/** The params schema as JSON Schema, to read its fields and required ones. */
const paramsJsonSchema = (id: OperationId) =>
  toJSONSchema(paramsSchema(id), { io: "input" }) as {
    properties: Record<string, { type?: unknown }>;
    required?: string[];
  };

const ids = Object.keys(operations) as OperationId[];
let sent = 0;
let client: AsyncPayi;
beforeAll(async () => {
  // A pass-through that counts what leaves the process; the mock is real.
  const counting: typeof fetch = (input, init) => {
    sent++;
    return fetch(input, init);
  };
  client = new AsyncPayi({
    apiKey: "property-key",
    baseURL: inject("prismURL"),
    maxRetries: 0,
    logLevel: "off",
    fetch: counting,
  });
});

const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: "binary" }),
  fc.constantFrom("", ".", "..", "a/b", "2025-01-15T10:30:00Z", "block", "percentage", "x?y#z"),
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ min: new Date("2000-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(
    fc.string({ minLength: 1, maxLength: 4 }),
    fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)),
    { maxKeys: 2 },
  ),
);

const field = (id: OperationId) =>
  Object.keys((paramsJsonSchema(id) as { properties: object }).properties).concat("not_a_field");

describe("random values for every field", () => {
  it("are accepted end to end or refused before sending", async () => {
    const params = fc
      .constantFrom(...ids)
      .chain((id) => fc.tuple(fc.constant(id), fc.constantFrom(...field(id)), value));
    await fc.assert(
      fc.asyncProperty(params, async ([id, name, v]) => {
        const input = { ...operationFixtures[id].full, [name]: v };
        const before = sent;
        const fn = id.split(".").reduce((node: any, part) => node[part], client) as (p: unknown) => Promise<unknown>;
        try {
          await fn(input);
          expect(sent - before).toBe(1);
        } catch (err) {
          if (!(err instanceof PayiValidationError)) throw new Error(`${id} with ${name}=${String(v)}: ${String(err)}`);
          expect(err.issues.length).toBeGreaterThan(0);
          expect(sent - before).toBe(0);
        }
      }),
      { numRuns: 400, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
  }, 60_000);
});
