// The operation table the runtime dispatches from is exactly the operations of the spec: one
// method per operationId, sent with the spec's method and path.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { operations } from "../../src/generated/operations.js";

const spec = parse(readFileSync(new URL("../../openapi/payi.openapi.yaml", import.meta.url), "utf8"));
const rows = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, item]) =>
  ["get", "put", "post", "delete", "patch"]
    .filter((method) => item[method])
    .map((method) => ({
      id: item[method].operationId as string,
      method: method.toUpperCase(),
      path,
      paginated: item[method]["x-payi-paginated"] === true,
      deprecated: item[method].deprecated === true,
    })),
);

describe("the operation table", () => {
  it("has exactly the operations of the spec, by SDK name, method and path", () => {
    const table = Object.entries(operations).map(([id, op]) => ({
      id,
      method: op.method,
      path: op.path,
      paginated: Boolean(op.paginated),
      deprecated: Boolean(op.deprecated),
    }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(rows.length).toBeGreaterThan(0);
    expect(table.sort(byId)).toEqual(rows.sort(byId));
  });

  it("applies the aliases the spec declares", () => {
    for (const id of ["categories.list", "categories.listResources", "categories.resources.list"] as const) {
      expect(operations[id].query).toContainEqual(["active", "Active"]);
    }
    expect(operations["limits.reset"].query).toContainEqual(["reset_date", "resetDate"]);
    expect(Object.fromEntries(operations["ingest.units"].headers ?? [])).toEqual({
      limit_ids: "xProxy-Limit-IDs",
      use_case_id: "xProxy-UseCase-ID",
      use_case_name: "xProxy-UseCase-Name",
      use_case_step: "xProxy-UseCase-Step",
      use_case_version: "xProxy-UseCase-Version",
      user_id: "xProxy-User-ID",
      resource_scope: "xProxy-Resource-Scope",
      account_name: "xProxy-Account-Name",
      disable_logging: "xProxy-Logging-Disable",
    });
    expect(operations["ingest.bulk"].arrayBody).toBe("events");
  });
});
