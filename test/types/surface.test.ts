// Compile-time checks: `npm run typecheck` (tsc --noEmit, in CI) compiles this file, so a wrong
// field name or type that compiled would fail the build (each expect-error line would be unused).
// The checks live in functions that never run: no request is sent.

import { describe, expectTypeOf, it } from "vitest";
import type {
  AsyncPayi,
  BulkIngestResponse,
  CategoryResourceResponse,
  IngestBulkParams,
  IngestResponse,
  IngestUnitsParams,
  LimitHistoryResponse,
  LimitListResponse,
  LimitsCreateParams,
  LimitsResetParams,
  Page,
  PagePromise,
  RawResponse,
  RequestOptions,
  StreamingResponse,
  WithResponse,
} from "../../src/index.js";
import { Timeout } from "../../src/index.js";
import type {
  APIConnectionError,
  APIError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from "../../src/index.js";

const event = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 10, output: 50 } } };

function _errorTypes() {
  expectTypeOf<NotFoundError["status"]>().toEqualTypeOf<404>();
  expectTypeOf<RateLimitError["status"]>().toEqualTypeOf<429>();
  expectTypeOf<RateLimitError["headers"]>().toEqualTypeOf<Headers>();
  expectTypeOf<InternalServerError["status"]>().toEqualTypeOf<number>();
  expectTypeOf<APIConnectionError["status"]>().toEqualTypeOf<undefined>();
  expectTypeOf<APIError["headers"]>().toEqualTypeOf<Headers | undefined>();
}

function results(client: AsyncPayi) {
  expectTypeOf(client.ingest.units).parameter(0).toEqualTypeOf<IngestUnitsParams>();
  expectTypeOf(client.ingest.units).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
  expectTypeOf(client.ingest.units(event)).resolves.toEqualTypeOf<IngestResponse>();
  expectTypeOf(client.ingest.bulk).parameter(0).toEqualTypeOf<IngestBulkParams | undefined>();
  expectTypeOf(client.ingest.bulk({ events: [event] })).resolves.toEqualTypeOf<BulkIngestResponse>();
  expectTypeOf(client.limits.reset).parameter(0).toEqualTypeOf<LimitsResetParams>();
  expectTypeOf(client.limits.reset({ limit_id: "lim_1" })).resolves.toEqualTypeOf<LimitHistoryResponse>();
  expectTypeOf(client.categories.resources.retrieve).returns.resolves.toEqualTypeOf<CategoryResourceResponse>();
  expectTypeOf(client.useCases.kpis.update).returns.resolves.toEqualTypeOf<void>();
  expectTypeOf(client.withRawResponse.ingest.units(event)).resolves.toEqualTypeOf<RawResponse<IngestResponse>>();
  expectTypeOf(client.ingest.units(event).withResponse()).resolves.toEqualTypeOf<WithResponse<IngestResponse>>();
  expectTypeOf(client.ingest.units(event).asResponse()).resolves.toEqualTypeOf<Response>();
  expectTypeOf(client.limits.list().withResponse()).resolves.toEqualTypeOf<WithResponse<Page<LimitListResponse>>>();
  expectTypeOf(client.limits.list().asResponse()).resolves.toEqualTypeOf<Response>();
  expectTypeOf(client.withStreamingResponse.ingest.units(event)).resolves.toEqualTypeOf<
    StreamingResponse<IngestResponse>
  >();
}

function params(client: AsyncPayi) {
  expectTypeOf<IngestUnitsParams["event_timestamp"]>().toEqualTypeOf<string | Date | null | undefined>();
  expectTypeOf<IngestUnitsParams["limit_ids"]>().toEqualTypeOf<string[] | undefined>();
  expectTypeOf<LimitsCreateParams["limit_type"]>().toEqualTypeOf<"block" | "allow" | undefined>();
  expectTypeOf<LimitsResetParams["reset_date"]>().toEqualTypeOf<string | Date | undefined>();
  // Every param of ingest.units compiles, with its documented type.
  void client.ingest.units({
    ...event,
    event_timestamp: new Date(),
    properties: { tokens: 12, cached: false, team: "search", none: null },
    limit_ids: ["monthly-budget"],
    use_case_id: "uc_1",
    use_case_name: "support-chat",
    use_case_step: "answer",
    use_case_version: 3,
    user_id: "customer_abc123",
    resource_scope: "datazone",
    account_name: "acme",
    disable_logging: true,
  });
  void client.ingest.units(event, {
    timeout: new Timeout({ timeout: 10_000, connect: 200 }),
    maxRetries: 0,
    headers: { "X-Drop": null },
    query: { trace: "on" },
    body: { extra: 1 },
    signal: AbortSignal.timeout(1),
  });

  // @ts-expect-error unknown field
  void client.ingest.units({ ...event, user: "x" });
  // @ts-expect-error the SDK name is limit_ids, not camelCase
  void client.ingest.units({ ...event, limitIds: ["a"] });
  // @ts-expect-error units must be a map of { input, output } numbers
  void client.ingest.units({ category: "c", units: { text: { input: "10" } } });
  // @ts-expect-error category is required
  void client.ingest.units({ units: {} });
  // @ts-expect-error params are required for ingest.units
  void client.ingest.units();
  // @ts-expect-error limit_ids is string[]
  void client.ingest.units({ ...event, limit_ids: "a,b" });
  // @ts-expect-error use_case_version is a number
  void client.ingest.units({ ...event, use_case_version: "3" });
  // @ts-expect-error disable_logging is a boolean
  void client.ingest.units({ ...event, disable_logging: "yes" });
  // @ts-expect-error event_timestamp takes a Date or a string, not a number
  void client.ingest.units({ ...event, event_timestamp: 1_700_000_000_000 });
  // @ts-expect-error limit_type is block | allow
  void client.limits.create({ limit_name: "b", max: 1, limit_type: "soft" });
  // @ts-expect-error the wire name is not the SDK's
  void client.categories.list({ Active: true });
  // @ts-expect-error the wire name is not the SDK's
  void client.limits.reset({ limit_id: "lim_1", resetDate: "2025-01-01T00:00:00Z" });
  // @ts-expect-error path params are required
  void client.limits.retrieve({});
  // @ts-expect-error not a request option
  void client.ingest.units(event, { retries: 1 });
  // @ts-expect-error a response's date is a string, not a Date
  expectTypeOf<IngestResponse["event_timestamp"]>().toEqualTypeOf<Date>();
}

function lists(client: AsyncPayi) {
  const list = client.limits.list({ limit: 100 });
  expectTypeOf(list).toEqualTypeOf<PagePromise<LimitListResponse>>();
  expectTypeOf(list).resolves.toEqualTypeOf<Page<LimitListResponse>>();
  expectTypeOf(list).toMatchTypeOf<AsyncIterable<LimitListResponse>>();
  expectTypeOf<Page<LimitListResponse>>().toMatchTypeOf<AsyncIterable<LimitListResponse>>();
  expectTypeOf<Page<LimitListResponse>["items"]>().toEqualTypeOf<LimitListResponse[]>();
  expectTypeOf<Page<LimitListResponse>["nextCursor"]>().toEqualTypeOf<string | null>();
  expectTypeOf<Page<LimitListResponse>["getNextPage"]>().returns.resolves.toEqualTypeOf<Page<LimitListResponse>>();
  // @ts-expect-error list params are checked too
  void client.limits.list({ limit: "100" });

  return async () => {
    for await (const limit of client.limits.list()) expectTypeOf(limit).toEqualTypeOf<LimitListResponse>();
    const page = await client.limits.list();
    for await (const p of page.iterPages()) expectTypeOf(p).toEqualTypeOf<Page<LimitListResponse>>();
    for await (const limit of page) expectTypeOf(limit).toEqualTypeOf<LimitListResponse>();
  };
}

describe("types", () => {
  it("are checked by tsc (npm run typecheck)", () => {
    expectTypeOf(results).toBeFunction();
    expectTypeOf(params).toBeFunction();
    expectTypeOf(lists).toBeFunction();
  });
});
