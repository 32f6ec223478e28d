// Payi against the mock (Prism, started by the contract project's setup): every operation,
// and the contract's sync example as written.
import { describe, expect, inject, it } from "vitest";
import { Payi, SyncPage, UnprocessableEntityError } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { responseSchema } from "../../src/generated/schemas.js";
import { operationFixtures } from "../fixtures/operations.js";

const KEY = "sk-sync-secret-0123456789";

describe("Payi against the mock: every operation", () => {
  for (const id of Object.keys(operations) as OperationId[]) {
    it(`${id}`, () => {
      const c = new Payi({
        apiKey: KEY,
        baseURL: inject("prismURL"),
        maxRetries: 0,
        strictResponseValidation: true,
        logLevel: "off",
      });
      const fn = id.split(".").reduce((node: any, part) => node[part], c);
      const result = fn(operationFixtures[id].full);
      if (operations[id].paginated) {
        expect(result).toBeInstanceOf(SyncPage);
        expect(responseSchema(id)!.safeParse(result.toJSON()).success).toBe(true);
      } else if (operations[id].noContent) expect(result).toBeUndefined();
      else expect(responseSchema(id)!.safeParse(result).success).toBe(true);
    });
  }
});

describe("the contract's sync example", () => {
  it("runs as written against the mock", () => {
    const sync = new Payi({ apiKey: KEY, baseURL: inject("prismURL") });
    const created = sync.categories.resources.create({
      category: "vector-db",
      resource: "qdrant-embeddings",
      units: { text: { input_price: 0.0000025, output_price: 0 } },
      max_input_units: 10000,
      start_timestamp: new Date("2024-01-01T00:00:00Z"),
    });
    expect(created.resource_id).toBe("res_qdrant_01");
    const names: string[] = [];
    for (const limit of sync.limits.list()) names.push(limit.limit_name);
    expect(names).toEqual(["monthly-budget", "customer_abc123-daily"]);
  });
});

describe("a request the mock refuses", () => {
  it("reaches Payi's caller with the violations, named in the message and as data", () => {
    const sync = new Payi({ apiKey: KEY, baseURL: inject("prismURL"), maxRetries: 0, logLevel: "off" });
    let err: any;
    try {
      sync.limits.list({}, { query: { sort_ascending: "sometimes" } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect(err.message).toMatch(/refused by the mock: .*sort_ascending must be boolean/);
    expect(err.violations).toEqual([expect.objectContaining({ location: ["request", "query", "sort_ascending"] })]);
  });
});
