// Compile-time checks: `npm run typecheck` (tsc --noEmit, in CI) compiles this file, so a wrong
// field name or type that compiled would fail the build (each expect-error line would be unused).
// The checks live in a function that never runs: no request is sent.

import { describe, expectTypeOf, it } from "vitest";
import type { AsyncPayi, IngestResponse, IngestUnitsParams, LimitListResponse, LimitsCreateParams, Page, PagePromise, CategoryResourceResponse } from "../../src/index.js";

const event = { category: "system.openai", units: { text: { input: 10, output: 50 } } };

function checks(client: AsyncPayi) {
  {
    expectTypeOf(client.ingest.units).parameter(0).toEqualTypeOf<IngestUnitsParams>();
    expectTypeOf(client.ingest.units(event)).resolves.toEqualTypeOf<IngestResponse>();
    expectTypeOf(client.limits.list()).toEqualTypeOf<PagePromise<LimitListResponse>>();
    expectTypeOf(client.limits.list()).resolves.toEqualTypeOf<Page<LimitListResponse>>();
    expectTypeOf<LimitsCreateParams["limit_type"]>().toEqualTypeOf<"block" | "allow" | undefined>();
    expectTypeOf(client.categories.resources.retrieve).returns.resolves.toEqualTypeOf<CategoryResourceResponse>();
    expectTypeOf(client.useCases.kpis.update).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf<IngestUnitsParams["event_timestamp"]>().toEqualTypeOf<string | Date | null | undefined>();
    expectTypeOf<IngestUnitsParams["limit_ids"]>().toEqualTypeOf<string[] | undefined>();
  }

  {
    // @ts-expect-error unknown field
    void client.ingest.units({ ...event, user: "x" });
    // @ts-expect-error units must be a map of { input, output }
    void client.ingest.units({ category: "c", units: { text: { input: "10" } } });
    // @ts-expect-error category is required
    void client.ingest.units({ units: {} });
    // @ts-expect-error limit_type is block | allow
    void client.limits.create({ limit_name: "b", max: 1, limit_type: "soft" });
    // @ts-expect-error limit_ids is string[]
    void client.ingest.units({ ...event, limit_ids: "a,b" });
    // @ts-expect-error the wire name is not the SDK's
    void client.categories.list({ Active: true });
    // @ts-expect-error a response's date is a string, not a Date
    expectTypeOf<IngestResponse["event_timestamp"]>().toEqualTypeOf<Date>();
    // @ts-expect-error path params are required
    void client.limits.retrieve({});
  }

  return async () => {
    for await (const limit of client.limits.list()) expectTypeOf(limit).toEqualTypeOf<LimitListResponse>();
  };
}

describe("types", () => {
  it("are checked by tsc (npm run typecheck)", () => {
    expectTypeOf(checks).toBeFunction();
  });
});
