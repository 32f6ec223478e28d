// What the SDK relies on in the document itself: docs, examples and error answers everywhere.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const doc = parse(readFileSync(new URL("../../openapi/payi.openapi.yaml", import.meta.url), "utf8"));
const ops = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, item]) =>
  ["get", "post", "put", "delete"].filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })),
);
const ERRORS = ["400", "401", "403", "404", "409", "422", "429", "500"];

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with the xProxy-api-key scheme applied globally", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "xProxy-api-key",
    });
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });

  it.each(ops.map((o) => [o.op.operationId, o] as const))(
    "%s has docs, every error answer and an example of success",
    (_id, { op }) => {
      expect(op.summary).toBeTruthy();
      expect(op.description.length).toBeGreaterThan(20);
      for (const code of ERRORS) expect(op.responses[code]?.$ref, code).toMatch(/^#\/components\/responses\//);
      const ok = op.responses["200"];
      if (ok.content) expect(Object.keys(ok.content["application/json"].examples ?? {})).not.toHaveLength(0);
    },
  );

  it("marks exactly the experiences operations deprecated", () => {
    const deprecated = ops.filter((o) => o.op.deprecated).map((o) => o.op.operationId);
    expect(deprecated).toHaveLength(11);
    expect(deprecated.every((id: string) => id.startsWith("experiences."))).toBe(true);
  });
});
