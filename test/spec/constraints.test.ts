// The document is no stricter than the service is known to be: every constraint beyond types
// and required fields is one of test/fixtures/enforced-constraints.ts, each with its source.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { enforcedConstraints } from "../fixtures/enforced-constraints.js";

const doc = parse(readFileSync(new URL("../../openapi/payi.openapi.yaml", import.meta.url), "utf8"));

const KEYWORDS = new Set([
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "enum",
  "const",
  "not",
  "additionalProperties",
  "unevaluatedProperties",
]);
/** Keys whose values are maps of names to schemas, not keywords. */
const MAPS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "schemas",
  "parameters",
  "responses",
  "paths",
  "content",
  "headers",
  "requestBodies",
]);

type Found = { at: string; keyword: string; value: unknown };

/** Every constraint keyword in the document (examples and descriptions aside), by where it is. */
export function constraintsOf(node: unknown, at: string[] = [], out: Found[] = []): Found[] {
  if (Array.isArray(node)) {
    // Parameters are named by their name, so the path survives reordering.
    node.forEach((item, i) => constraintsOf(item, [...at, (item as { name?: string })?.name ?? String(i)], out));
    return out;
  }
  if (!node || typeof node !== "object") return out;
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key.startsWith("x-")) continue;
    const inMap = MAPS.has(at.at(-1) ?? "") && at.at(-2) !== "properties";
    if (!inMap && KEYWORDS.has(key)) {
      // additionalProperties with a schema types a map; only `false` refuses fields.
      if (key === "additionalProperties" || key === "unevaluatedProperties") {
        if (value === false) out.push({ at: at.join("/"), keyword: key, value });
        else constraintsOf(value, [...at, key], out);
        continue;
      }
      out.push({ at: at.join("/"), keyword: key, value });
      continue;
    }
    constraintsOf(value, [...at, key], out);
  }
  return out;
}

const key = (c: Found) => `${c.at} ${c.keyword} ${JSON.stringify(c.value)}`;

describe("the document's constraints", () => {
  it("are exactly those the service is known to enforce", () => {
    const inDoc = constraintsOf(doc).map(key).sort();
    const known = enforcedConstraints.map(key).sort();
    const unknown = inDoc.filter((c) => !known.includes(c));
    const gone = known.filter((c) => !inDoc.includes(c));
    expect(
      unknown,
      "constraints the service is not known to have: remove them, or add them to test/fixtures/enforced-constraints.ts with how we know",
    ).toEqual([]);
    expect(gone, "listed constraints no longer in the document: drop them from the list").toEqual([]);
  });

  it("each known one says how we know", () => {
    for (const c of enforcedConstraints) expect(c.source.length, key(c)).toBeGreaterThan(20);
  });

  it("the scan finds a constraint wherever one is written", () => {
    const sample = {
      paths: {
        "/x": { get: { parameters: [{ name: "limit", in: "query", schema: { type: "integer", minimum: 1 } }] } },
      },
      components: {
        schemas: {
          A: {
            type: "object",
            additionalProperties: false,
            properties: {
              pattern: { type: "string", pattern: "^a" },
              m: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
            },
          },
        },
      },
    };
    expect(constraintsOf(sample).map(key).sort()).toEqual(
      [
        "components/schemas/A additionalProperties false",
        "components/schemas/A/properties/m/additionalProperties maxLength 3",
        'components/schemas/A/properties/pattern pattern "^a"',
        "paths//x/get/parameters/limit/schema minimum 1",
      ].sort(),
    );
  });
});
