// Property: whatever a caller passes as params, to any operation, the call either is sent or
// throws PayiValidationError naming the field, with nothing sent; never another error, and
// the caller's object is left exactly as it was. Against a local server that counts requests.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, PayiValidationError } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { operationFixtures } from "../fixtures/operations.js";

const ids = Object.keys(operations) as OperationId[];
let server: http.Server;
let requests = 0;
let client: AsyncPayi;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    req.resume();
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new AsyncPayi({
    apiKey: "test-key-hostile",
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxRetries: 0,
    logLevel: "off",
  });
});
afterAll(() => new Promise((r) => server.close(r)));

const call = (id: OperationId, params: unknown) =>
  (id.split(".").reduce((node: any, part) => node[part], client) as (p: unknown) => Promise<unknown>)(params);
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
/** util.inspect reads no getter and copes with cycles: what the caller's object looked like. */
const snapshot = (v: unknown) => inspect(v, { depth: Infinity, showHidden: true, getters: false });

/** A value that cannot be sent wherever it is put, with the reason the error should give. */
const hostile = fc.oneof(
  fc.constant(() => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.loop = loop;
    return { value: loop, at: ".loop" };
  }),
  fc.constant(() => ({
    value: Object.defineProperty({}, "x", {
      enumerable: true,
      get: () => {
        throw new Error("getter");
      },
    }),
    at: ".x",
  })),
  fc.constant(() => ({ value: new Map([["a", 1]]), at: "" })),
  fc.constant(() => ({ value: Symbol("s"), at: "" })),
  fc.constant(() => ({ value: () => 1, at: "" })),
  fc.constant(() => ({ value: { deep: [1n] }, at: ".deep.0" })),
  fc.constant(() => ({ value: new Date(Number.NaN), at: "" })),
);

describe("hostile params, every operation", () => {
  it("cannot be sent: PayiValidationError naming the field, no request, the params untouched", async () => {
    const before = requests;
    const field = fc
      .constantFrom(...ids)
      .chain((id) =>
        fc.tuple(
          fc.constant(id),
          fc.constantFrom(...Object.keys(operationFixtures[id].full), "not_a_field"),
          hostile,
          fc.boolean(),
        ),
      );
    await fc.assert(
      fc.asyncProperty(field, async ([id, name, make, nullProto]) => {
        const { value, at } = make();
        const base = { ...operationFixtures[id].full, [name]: value };
        const params = nullProto ? Object.assign(Object.create(null), base) : base;
        const shown = snapshot(params);
        const err = await call(id, params).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${id} with ${name}: ${String(err)}`).toBeInstanceOf(PayiValidationError);
        expect((err as PayiValidationError).issues.map((i) => i.path)).toContain(name + at);
        expect(snapshot(params)).toBe(shown);
      }),
      { numRuns: 300, seed },
    );
    // Across every run: nothing reached the server.
    expect(requests - before).toBe(0);
  }, 60_000);

  it("any other value: sent, or a PayiValidationError with nothing sent; never another error, never changed", async () => {
    // Arbitrary data in every form JS has: null prototypes, BigInts, Dates, Maps, sparse arrays,
    // boxed values, lone surrogates; as a whole params object or in one field of a valid one.
    const anything = fc.anything({
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withBoxedValues: true,
      withSparseArray: true,
      withUnicodeString: true,
      withObjectString: true,
      maxDepth: 3,
    });
    const input = fc.constantFrom(...ids).chain((id) =>
      fc.tuple(
        fc.constant(id),
        fc.oneof(
          fc.object({ withNullPrototype: true, withBigInt: true, withDate: true, maxDepth: 2 }),
          fc
            .tuple(fc.constantFrom(...Object.keys(operationFixtures[id].full)), anything)
            .map(([k, v]) => ({ ...operationFixtures[id].full, [k]: v })),
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(input, async ([id, params]) => {
        const shown = snapshot(params);
        const before = requests;
        const err = await call(id, params).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err !== undefined) {
          expect(err, `${id}: ${String(err)}`).toBeInstanceOf(PayiValidationError);
          expect((err as PayiValidationError).issues.length).toBeGreaterThan(0);
          expect(requests - before).toBe(0);
        } else {
          expect(requests - before).toBe(1);
        }
        expect(snapshot(params)).toBe(shown);
      }),
      { numRuns: 500, seed },
    );
  }, 60_000);
});
