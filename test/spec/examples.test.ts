// Examples the mocks answer: with no preference, each operation's example is a success that a
// correct request gets (nothing refused, no limit blocked); the refusals and errors are named
// examples, reachable with `Prefer: example=<name>` or `Prefer: code=<status>`, and every name
// is documented in openapi/README.md.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { OperationId } from "../../src/generated/api.js";
import { responseSchema } from "../../src/generated/schemas.js";

const doc = parse(readFileSync(new URL("../../openapi/payi.openapi.yaml", import.meta.url), "utf8"));
const readme = readFileSync(new URL("../../openapi/README.md", import.meta.url), "utf8");
const deref = (node: any): any =>
  node?.$ref
    ? deref(
        node.$ref
          .slice(2)
          .split("/")
          .reduce((n: any, k: string) => n[k], doc),
      )
    : node;
const ops = Object.values<Record<string, any>>(doc.paths).flatMap((item) =>
  ["get", "post", "put", "delete"].filter((m) => item[m]).map((m) => item[m]),
);

/** What in an answer says something was refused or went wrong. */
function refusals(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refusals(v, `${at}.${i}`));
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = `${at}.${k}`;
    if (["errors", "blocked_limit_ids", "warnings"].includes(k) && Array.isArray(v) && v.length) return [here];
    if (["error_count", "item_error_count"].includes(k) && v) return [here];
    if (k === "state" && v !== null && v !== "ok") return [here];
    if (k === "xproxy_error" && v) return [here];
    return refusals(v, here);
  });
}

describe("each operation's examples", () => {
  for (const op of ops) {
    const status = Object.keys(op.responses).find((s) => /^2/.test(s))!;
    const examples = deref(op.responses[status]).content?.["application/json"]?.examples;
    if (!examples) continue;
    it(`${op.operationId}: the first is named default, matches the schema and is a success`, () => {
      expect(Object.keys(examples)[0]).toBe("default");
      const value = examples.default.value;
      const check = responseSchema(op.operationId as OperationId)!.safeParse(value);
      expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
      expect(refusals(value)).toEqual([]);
    });
    for (const [name, example] of Object.entries<any>(examples)) {
      if (name === "default") continue;
      it(`${op.operationId}: "${name}" matches the schema and is documented`, () => {
        expect(responseSchema(op.operationId as OperationId)!.safeParse(example.value).success).toBe(true);
        expect(readme).toContain(`example=${name}`);
      });
    }
  }

  it("error answers: each status has a default, and every other example is documented", () => {
    for (const [name, response] of Object.entries<any>(doc.components.responses)) {
      const examples = response.content["application/json"].examples;
      expect(Object.keys(examples)[0], name).toBe("default");
      for (const other of Object.keys(examples).slice(1)) expect(readme).toContain(`example=${other}`);
    }
  });

  it("ingest.bulk: the default accepts every event; a named one refuses one", () => {
    const examples = doc.paths["/api/v1/ingest/bulk"].post.responses["200"].content["application/json"].examples;
    expect(examples.default.value).toMatchObject({ error_count: 0, errors: [] });
    expect(refusals(examples["partly-refused"].value)).not.toEqual([]);
  });
});
