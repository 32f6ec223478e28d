// The operation table compiled from the spec is exactly the surface of api-surface.md.
// test/fixtures/api-surface.md is a copy of the planning reference (shared/reference/api-surface.md), the contract this checks.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { operations } from "../../src/generated/operations.js";

const surface = readFileSync(new URL("../fixtures/api-surface.md", import.meta.url), "utf8");
const rows = [...surface.matchAll(/^\| (\d+) \| (GET|POST|PUT|DELETE) \| `([^`]+)` \| `client\.([^`]+)` \| (yes)? \| ([A-Za-z]+) \| ([a-z]*) \|$/gm)].map((m) => ({
  method: m[2],
  path: m[3],
  id: m[4],
  paginated: m[5] === "yes",
  deprecated: m[7] === "deprecated",
}));

describe("the operation table", () => {
  it("reads the 51 rows of api-surface.md", () => expect(rows).toHaveLength(51));

  it("has exactly the operations of api-surface.md, by SDK name, method and path", () => {
    const table = Object.entries(operations).map(([id, op]) => ({ id, method: op.method, path: op.path, paginated: Boolean(op.paginated), deprecated: Boolean(op.deprecated) }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(table.sort(byId)).toEqual(rows.sort(byId));
  });

  it("applies the aliases of api-surface.md", () => {
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
