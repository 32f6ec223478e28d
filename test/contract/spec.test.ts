// The spec is coherent: for every operation, a well-formed request (built here with plain
// fetch from the operation table) gets a 2xx whose body matches the generated zod schema,
// and a malformed one is refused by the mock, which enforces the spec.
import { describe, expect, inject, it } from "vitest";
import type { OperationId } from "../../src/generated/api.js";
import { operations } from "../../src/generated/operations.js";
import { toJSONSchema } from "zod/mini";
import { paramsSchema, responseSchema } from "../../src/generated/schemas.js";
import { operationFixtures } from "../fixtures/operations.js";
import { wireRequest } from "../helpers/wire-request.js";

/** The params schema as JSON Schema, to read its fields and required ones. */
const paramsJsonSchema = (id: OperationId) =>
  toJSONSchema(paramsSchema(id), { io: "input" }) as {
    properties: Record<string, { type?: unknown }>;
    required?: string[];
  };

const ids = Object.keys(operations) as OperationId[];

async function send(id: OperationId, params: Record<string, unknown>, extraHeaders: Record<string, string> = {}) {
  const { url, init } = wireRequest(inject("prismURL"), operations[id], params);
  const res = await fetch(url, { ...init, headers: { ...init.headers, ...extraHeaders } });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

describe("every operation answers a body that matches its schema", () => {
  for (const id of ids) {
    for (const variant of ["minimal", "full"] as const) {
      it(`${id} (${variant} params)`, async () => {
        const { status, json, text } = await send(id, operationFixtures[id][variant]);
        expect(status, text).toBeGreaterThanOrEqual(200);
        expect(status, text).toBeLessThan(300);
        const schema = responseSchema(id);
        if (!schema) return expect(text).toBe("");
        const result = schema.safeParse(json);
        expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
        if (operations[id].paginated) expect(json.cursor ?? null, "list examples end the list").toBeNull();
      });
    }
  }
});

/** The first body field of a type that has an obviously wrong value. */
function wrongTyped(id: OperationId): [string, unknown] | undefined {
  const props = (paramsJsonSchema(id) as { properties: Record<string, { type?: unknown }> }).properties;
  for (const field of operations[id].bodyFields ?? []) {
    const t = props[field]?.type;
    const types = Array.isArray(t) ? t : [t];
    if (types.includes("number") || types.includes("integer") || types.includes("boolean"))
      return [field, "not-a-number"];
    if (types.includes("object")) return [field, 12345];
    if (types.includes("string") && !types.includes("number")) return [field, 12345];
  }
  return undefined;
}

describe("the mock refuses what the spec does not allow", () => {
  for (const id of ids) {
    const spec = operations[id];
    const required = ((paramsJsonSchema(id) as { required: string[] }).required ?? []).filter((f) =>
      spec.bodyFields?.includes(f),
    );
    for (const field of required) {
      it(`${id} without its required body field ${field}`, async () => {
        const params = { ...operationFixtures[id].full };
        delete params[field];
        expect((await send(id, params)).status).toBe(422);
      });
    }
    const wrong = wrongTyped(id);
    if (wrong) {
      it(`${id} with ${wrong[0]} of the wrong type`, async () => {
        expect((await send(id, { ...operationFixtures[id].minimal, [wrong[0]]: wrong[1] })).status).toBe(422);
      });
    }
  }

  it("ingest.bulk with an event missing its category, and with a body that is not an array", async () => {
    expect((await send("ingest.bulk", { events: [{ units: {} }] })).status).toBe(422);
    expect((await send("ingest.bulk", { events: { category: "system.openai", units: {} } })).status).toBe(422);
  });

  it("a query parameter and a header of the wrong type", async () => {
    expect((await send("limits.list", { limit: "many" })).status).toBe(422);
    expect((await send("categories.list", { active: "sometimes" })).status).toBe(422);
    expect(
      (await send("ingest.units", { ...operationFixtures["ingest.units"].minimal, use_case_version: "three" })).status,
    ).toBe(422);
  });

  it("the logging header in another spelling than the service's", async () => {
    expect(
      (await send("ingest.units", { ...operationFixtures["ingest.units"].minimal, disable_logging: "yes" })).status,
    ).toBe(422);
  });

  it("a request without the API key", async () => {
    const res = await fetch(`${inject("prismURL")}/api/v1/limits`);
    expect(res.status).toBe(401);
  });
});

describe("what the Python SDK sends is accepted", () => {
  it.each([0, 1, 25, 100, 500])("limit=%i on every list (its tests send 0)", async (limit) => {
    for (const id of ids.filter((i) => operations[i].paginated)) {
      const { status, text } = await send(id, { ...operationFixtures[id].minimal, limit });
      expect(status, `${id}: ${text}`).toBe(200);
    }
  });

  it.each(["True", "False", "true", "false"])("the logging header as %s", async (value) => {
    const { status, text } = await send("ingest.units", {
      ...operationFixtures["ingest.units"].full,
      disable_logging: value,
    });
    expect(status, text).toBe(200);
  });
});

describe("named examples", () => {
  it("ingest.bulk answers every event accepted by default, and a refusal when asked", async () => {
    const accepted = await send("ingest.bulk", operationFixtures["ingest.bulk"].full);
    expect(accepted.json).toMatchObject({ error_count: 0, errors: [] });
    const refused = await send("ingest.bulk", operationFixtures["ingest.bulk"].full, {
      Prefer: "example=partly-refused",
    });
    expect(refused.json.errors).toEqual([expect.objectContaining({ item_index: 2 })]);
  });

  it("a 422 is generic by default, and says why when asked", async () => {
    expect((await send("limits.list", {}, { Prefer: "code=422" })).json.xproxy_error.code).not.toBe(
      "invalid_event_timestamp",
    );
    const dated = await send("ingest.units", operationFixtures["ingest.units"].minimal, {
      Prefer: "code=422, example=event-timestamp-in-future",
    });
    expect([dated.status, dated.json.xproxy_error.code]).toEqual([422, "invalid_event_timestamp"]);
  });
});

describe("error answers", () => {
  it.each(["limits.retrieve", "categories.resources.retrieve", "ingest.units"] as const)(
    "%s answers the spec's 404 example when asked",
    async (id) => {
      const { status, json } = await send(id, operationFixtures[id].minimal, { Prefer: "code=404" });
      expect(status).toBe(404);
      expect(json).toMatchObject({
        statusCode: 404,
        message: expect.any(String),
        xproxy_error: { code: "category_resource_not_found" },
      });
    },
  );

  it("each status the SDK maps to an error class answers its example (limits.list)", async () => {
    for (const code of [400, 401, 403, 404, 409, 422, 429, 500]) {
      const { status, json } = await send("limits.list", {}, { Prefer: `code=${code}` });
      expect(status).toBe(code);
      expect(json.statusCode).toBe(code);
    }
  });
});
