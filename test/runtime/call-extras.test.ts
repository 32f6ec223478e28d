// What a call sends and resolves to beyond its params: per-call extras (a body property for an
// operation that sends none is refused; a query value left out does not unset the params'; the
// key header set to null over a default of another case), and what an answer resolves to (an
// empty body, a body on an operation that answers none, let go of when streamed, a list answer
// that is no object).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIResponseValidationError, AsyncPayi, PayiValidationError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

const KEY = "test-key-extras";
let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = (options: Partial<ConstructorParameters<typeof AsyncPayi>[0]> = {}) =>
  new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 0, logLevel: "off", ...options });
const page = { items: [], cursor: null };
const kpi = { use_case_name: "support-chat", use_case_id: "uc_1", kpi_name: "deflection-rate", score: 0.5 };

describe("per-call extras", () => {
  it("a body property for an operation that sends no body is refused, naming it, and nothing is sent", async () => {
    const err = await client()
      .limits.retrieve({ limit_id: "lim_1" }, { body: { note: "kept?" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayiValidationError);
    expect((err as PayiValidationError).issues).toEqual([
      { path: "options.body", message: "client.limits.retrieve sends no JSON body" },
    ]);
    expect(server.received).toHaveLength(0);
  });

  it("an operation that sends no body sends none, with no content type", async () => {
    server.handle((_r, res) => json(res, 200, page));
    await client().limits.list({ limit: 5 });
    expect(server.received[0].body).toBe("");
    expect(server.received[0].headers["content-type"]).toBeUndefined();
  });

  it("a per-call query value left undefined or null keeps the value the params give", async () => {
    server.handle((_r, res) => json(res, 200, page));
    await client().limits.list({ limit: 5 }, { query: { limit: undefined } });
    await client().limits.list({ limit: 6 }, { query: { limit: null } as never });
    expect(server.received.map((r) => new URL(r.url, server.url).searchParams.get("limit"))).toEqual(["5", "6"]);
  });

  it("the key header set to null for a call, over a default spelled in another case, sends the client's key", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const c = client({ defaultHeaders: { "XProxy-Api-Key": "another-key" } });
    await c.ingest.units(event, { headers: { "xproxy-api-key": null } });
    expect(server.received[0].headers["xproxy-api-key"]).toBe(KEY);
  });
});

describe("what an answer resolves to", () => {
  it("an empty 200 resolves to undefined", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end();
    });
    expect(await client().ingest.units(event)).toBeUndefined();
  });

  it("an operation that answers no content resolves to undefined, even when a body comes", async () => {
    server.handle((_r, res) => json(res, 200, { unexpected: true }));
    expect(await client().useCases.kpis.update(kpi)).toBeUndefined();
  });

  it("a streamed one of an operation that answers no content, parsed, lets go of a body that came all the same", async () => {
    let closed!: Promise<void>;
    server.handle((_r, res) => {
      closed = new Promise((resolve) => res.socket!.once("close", () => resolve()));
      res.writeHead(200, { "content-type": "application/octet-stream" });
      // A body that never ends: only the client letting go of it ends this answer.
      const more = () => {
        while (res.write(Buffer.alloc(65_536))) {}
      };
      res.on("drain", more);
      more();
    });
    const streamed = await client().withStreamingResponse.useCases.kpis.update(kpi);
    expect(await streamed.parse()).toBeUndefined();
    await closed;
  });

  it("a body that is not JSON fails with no field issues, only the message", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("upstream said no");
    });
    const err = (await client()
      .ingest.units(event)
      .catch((e: unknown) => e)) as APIResponseValidationError;
    expect(err).toBeInstanceOf(APIResponseValidationError);
    expect(err.issues).toEqual([]);
    expect(err.message).toBe("The service answered 200 with a body that is not JSON: upstream said no");
  });

  it("outside strict mode, an answer of another shape is returned as it came when the operation is no list", async () => {
    server.handle((_r, res) => json(res, 200, ["not", "an", "object"]));
    expect(await client().ingest.units(event)).toEqual(["not", "an", "object"]);
  });

  it("a list answer that is a JSON string or number is refused: a list answer must be an object", async () => {
    for (const body of ["items", 42]) {
      server.handle((_r, res) => json(res, 200, body));
      const err = (await client()
        .limits.list()
        .catch((e: unknown) => e)) as APIResponseValidationError;
      expect(err, String(body)).toBeInstanceOf(APIResponseValidationError);
      expect(err.issues, String(body)).toEqual([{ path: "", message: "a list answer must be an object" }]);
    }
  });
});
