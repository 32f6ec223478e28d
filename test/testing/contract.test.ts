// payi/testing next to Prism, the mock of record: every operation, with minimal and with full
// params, through plain fetch, AsyncPayi and Payi, gets the same status and the same body from
// both; and what Prism refuses for a missing required field, the fake refuses too.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { toJSONSchema } from "zod/mini";
import { AsyncPayi, Payi } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { paramsSchema } from "../../src/generated/schemas.js";
import { createMockPayi } from "../../src/testing/index.js";
import { operationFixtures } from "../fixtures/operations.js";
import { wireRequest } from "../helpers/wire-request.js";

const ids = Object.keys(operations) as OperationId[];
const mock = createMockPayi();
let mockURL: string;
beforeAll(async () => {
  mockURL = (await mock.listen()).url;
});
afterAll(() => mock.close());

const method = (c: object, id: OperationId) =>
  id.split(".").reduce((node: any, part) => node[part], c) as (p?: unknown) => any;
const options = { apiKey: "side-by-side-key", maxRetries: 0, logLevel: "off" as const, strictResponseValidation: true };
const plain = (v: any) => (v && typeof v.toJSON === "function" ? v.toJSON() : v);

async function both(id: OperationId, params: Record<string, unknown>) {
  const answer = async (res: Response) => ({ status: res.status, body: (await res.text()) || undefined });
  const prism = wireRequest(inject("prismURL"), operations[id], params);
  const fake = wireRequest("http://payi.mock", operations[id], params);
  return {
    prism: await answer(await fetch(prism.url, prism.init)),
    fake: await answer(await mock.fetch(fake.url, fake.init)),
  };
}

describe("payi/testing and Prism agree", () => {
  for (const id of ids) {
    for (const variant of ["minimal", "full"] as const) {
      it(`${id} (${variant} params): plain fetch, AsyncPayi and Payi`, async () => {
        const params = operationFixtures[id][variant];
        const { prism, fake } = await both(id, params);
        expect(prism.status).toBeLessThan(300);
        expect(fake.status).toBe(prism.status);
        expect(fake.body && JSON.parse(fake.body)).toEqual(prism.body && JSON.parse(prism.body));

        const fromPrism = plain(await method(new AsyncPayi({ ...options, baseURL: inject("prismURL") }), id)(params));
        const fromFake = plain(await method(new AsyncPayi({ ...options, fetch: mock.fetch }), id)(params));
        expect(fromFake).toEqual(fromPrism);
        expect(plain(method(new Payi({ ...options, baseURL: mockURL }), id)(params))).toEqual(fromPrism);
      });
    }
  }
});

describe("payi/testing refuses what Prism refuses", () => {
  for (const id of ids) {
    const spec = operations[id];
    const schema = toJSONSchema(paramsSchema(id), { io: "input" }) as { required?: string[] };
    for (const field of (schema.required ?? []).filter((f) => spec.bodyFields?.includes(f))) {
      it(`${id} without its required body field ${field}`, async () => {
        const params = { ...operationFixtures[id].full };
        delete params[field];
        const { prism, fake } = await both(id, params);
        expect([prism.status, fake.status]).toEqual([422, 422]);
      });
    }
  }

  it("a list's limit of the wrong type, and a logging header no client sends", async () => {
    for (const [id, params] of [
      ["limits.list", { limit: "many" }],
      ["ingest.units", { ...operationFixtures["ingest.units"].minimal, disable_logging: "yes" }],
      ["ingest.bulk", { events: [{ units: {} }] }],
    ] as const) {
      const { prism, fake } = await both(id, params);
      expect([prism.status, fake.status], id).toEqual([422, 422]);
    }
  });
});
