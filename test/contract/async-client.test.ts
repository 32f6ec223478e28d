// Every operation through AsyncPayi against the mock, with minimal and with all params: the
// mock refuses (422) any request the spec does not allow, so this checks what the client sends.
import { describe, expect, inject, it } from "vitest";
import { AsyncPayi, NotFoundError, Page, UnprocessableEntityError } from "../../src/index.js";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { responseSchema } from "../../src/generated/schemas.js";
import { operationFixtures } from "../fixtures/operations.js";

const ids = Object.keys(operations) as OperationId[];
const client = () =>
  new AsyncPayi({
    apiKey: "contract-test-key",
    baseURL: inject("prismURL"),
    maxRetries: 0,
    logLevel: "off",
    strictResponseValidation: true,
  });
const method = (c: AsyncPayi, id: OperationId) =>
  id.split(".").reduce((node: any, part) => node[part], c) as (p?: unknown, o?: unknown) => any;

describe("AsyncPayi against the mock", () => {
  for (const id of ids) {
    for (const variant of ["minimal", "full"] as const) {
      it(`client.${id} (${variant} params)`, async () => {
        const result = await method(client(), id)(operationFixtures[id][variant]);
        if (operations[id].paginated) {
          expect(result).toBeInstanceOf(Page);
          expect(result.hasNextPage()).toBe(false);
          expect(responseSchema(id)!.safeParse(result.toJSON()).success).toBe(true);
        } else if (operations[id].noContent) {
          expect(result).toBeUndefined();
        } else {
          expect(responseSchema(id)!.safeParse(result).success).toBe(true);
        }
      });
    }
  }

  it("runs the contract's example as written", async () => {
    const c = new AsyncPayi({ apiKey: "contract-test-key", baseURL: inject("prismURL") });
    const r = await c.ingest.units({
      category: "system.openai",
      resource: "gpt-4o",
      units: { text: { input: 10, output: 50 } },
      user_id: "customer_abc123",
      limit_ids: ["monthly-budget"],
    });
    expect(r.xproxy_result.request_id).toBe("req_5f0c6a1e9b2d4c7a");
    const names: string[] = [];
    for await (const limit of c.limits.list()) names.push(limit.limit_name);
    expect(names).toEqual(["monthly-budget", "customer_abc123-daily"]);
    const page = await c.limits.list({ limit: 20, sort_ascending: true });
    expect([page.items.length, page.hasMore, page.nextCursor]).toEqual([2, false, null]);
    const raw = await c.withRawResponse.ingest.units({ category: "system.openai", units: { text: { input: 1 } } });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toMatch(/json/);
    expect((await raw.parse()).request_id).toBe("req_5f0c6a1e9b2d4c7a");
    const streamed = await c.withStreamingResponse.ingest.units({
      category: "system.openai",
      units: { text: { input: 1 } },
    });
    expect(streamed.bodyUsed).toBe(false);
    expect(JSON.parse(await streamed.text()).request_id).toBe("req_5f0c6a1e9b2d4c7a");
  });

  it("surfaces the mock's 404 as NotFoundError with the service's code", async () => {
    const err = await client()
      .limits.retrieve({ limit_id: "lim_missing" }, { headers: { Prefer: "code=404" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "category_resource_not_found" });
  });

  it("a request the mock refuses is an UnprocessableEntityError naming each violation, with them as data", async () => {
    // Past the SDK's own checks (an extra query parameter and body field the call passes through as given).
    const err = await client()
      .limits.create({ limit_name: "monthly-budget", max: 500 }, { body: { max: "lots", threshold: "high" } })
      .then(
        () => undefined,
        (e: UnprocessableEntityError) => e,
      );
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect(err?.message).toMatch(/^422 refused by the mock: .*max must be number.*; .*threshold must be number/);
    expect(err?.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          location: ["request", "body", "max"],
          message: expect.stringMatching(/max must be number/),
        }),
        expect.objectContaining({
          location: ["request", "body", "threshold"],
          message: expect.stringMatching(/threshold must be number/),
        }),
      ]),
    );
  });

  it("a correct backfill against the mock has every event accepted", async () => {
    const events = Array.from({ length: 1000 }, (_, n) => ({
      category: "system.openai",
      resource: "gpt-4o",
      units: { text: { input: n, output: 1 } },
      user_id: `u${n % 7}`,
    }));
    const summary = await client().ingest.backfill(events, { batchSize: 100, concurrency: 2 });
    expect(summary).toMatchObject({ read: 1000, accepted: 1000, rejected: 0, batches: 10 });
  });

  it("lists take the limit=0 the Python SDK sends, and ingest a disable_logging", async () => {
    const page = await client().limits.list({ limit: 0 });
    expect(page.items.length).toBeGreaterThan(0);
    const r = await client().ingest.units({
      category: "system.openai",
      units: { text: { input: 1 } },
      disable_logging: false,
    });
    expect(r.request_id).toBe("req_5f0c6a1e9b2d4c7a");
  });
});
