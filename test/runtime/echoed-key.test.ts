// A key a service echoes back anywhere in its answer (nested strings, arrays, object keys,
// header names and values) is scrubbed from the error a user gets; every other value is kept
// as it was. The same for an answer strict mode refuses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIResponseValidationError, AsyncPayi, BadRequestError, PermissionDeniedError } from "../../src/index.js";
import { event, json, startServer, type TestServer } from "../helpers/server.js";

const KEY = "sk-echoed-0123456789";
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
const client = (o: { strictResponseValidation?: boolean } = {}) =>
  new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 0, logLevel: "off", ...o });

/** An answer with the key (as the request carried it) in every place a body and headers can hold it. */
function echoing(status: number, body: (key: string) => unknown) {
  server.handle((r, res) => {
    const key = String(r.headers["xproxy-api-key"]);
    json(res, status, body(key), { [`x-echo-${key}`]: `got ${key}`, "www-authenticate": `Key ${key}`, "x-plain": "7" });
  });
}

describe("a key echoed in an answer", () => {
  it("is scrubbed from a failure's body at any depth, in keys too, and from its headers", async () => {
    echoing(400, (key) => ({
      message: `bad key ${key}`,
      errors: [{ field: key, detail: [`was ${key}, twice: ${key}`, 3] }],
      [key]: { count: 2, ok: true, none: null },
    }));
    const err = await client()
      .ingest.units(event)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    const e = err as BadRequestError;
    expect(e.body).toEqual({
      message: "bad key ***",
      errors: [{ field: "***", detail: ["was ***, twice: ***", 3] }],
      "***": { count: 2, ok: true, none: null },
    });
    expect(e.headers.get("x-echo-***")).toBe("got ***");
    expect(e.headers.get("www-authenticate")).toBe("Key ***");
    expect(e.headers.get("x-plain")).toBe("7");
    expect(JSON.stringify([...e.headers])).not.toContain(KEY);
  });

  it("leaves headers whose names only begin or end like a credential's as they are", async () => {
    server.handle((_r, res) =>
      json(res, 403, { message: "no" }, { "x-authorization": "scheme", "cookie-policy": "strict", cookie: "a=b" }),
    );
    const err = await client()
      .ingest.units(event)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(Object.fromEntries((err as PermissionDeniedError).headers)).toMatchObject({
      "x-authorization": "scheme",
      "cookie-policy": "strict",
      cookie: "***",
    });
  });

  it("is left as it is when shorter than four characters, which would garble every text", async () => {
    echoing(400, (key) => ({ message: `bad key ${key}` }));
    const err = await new AsyncPayi({ apiKey: "k3y", baseURL: server.url, maxRetries: 0, logLevel: "off" }).ingest
      .units(event)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).body).toEqual({ message: "bad key k3y" });
    expect((err as BadRequestError).headers.get("x-echo-k3y")).toBe("got k3y");
  });

  it("is scrubbed from the body and headers of an answer strict mode refuses", async () => {
    echoing(200, (key) => ({ request_id: 5, echoed: [key, { [key]: `${key}!` }] }));
    const err = await client({ strictResponseValidation: true })
      .ingest.units(event)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIResponseValidationError);
    const e = err as APIResponseValidationError;
    expect(e.body).toEqual({ request_id: 5, echoed: ["***", { "***": "***!" }] });
    expect(e.headers.get("x-echo-***")).toBe("got ***");
    expect(e.issues.map((i) => i.path)).toContain("request_id");
    expect(JSON.stringify([e.message, ...e.headers])).not.toContain(KEY);
  });
});
