// What an AsyncPayi call returns: awaited, the result; `.withResponse()`, the result and the HTTP
// response; `.asResponse()`, the response with its body unread. Lists keep their page promise.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIPromise, AsyncPayi, NotFoundError, Page, PagePromise } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-promise", baseURL: server.url, maxRetries: 0, logLevel: "off" });

const limit = (id: string) => ({
  limit_id: id,
  limit_name: id,
  max: 10,
  limit_type: "block",
  limit_creation_timestamp: "2025-01-01T00:00:00Z",
  limit_update_timestamp: "2025-01-01T00:00:00Z",
  totals: {},
});

describe("a call's promise", () => {
  it("resolves to the result, one request", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const p = client().ingest.units(event);
    expect(p).toBeInstanceOf(APIPromise);
    expect(await p).toEqual(ingestOk);
    expect(server.received).toHaveLength(1);
  });

  it(".withResponse() gives the result and the response it came from", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk, { "x-request-id": "req_with" }));
    const { data, response } = await client().ingest.units(event).withResponse();
    expect(data).toEqual(ingestOk);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("req_with");
    expect([response.url, response.statusText]).toEqual([`${server.url}/api/v1/ingest`, "OK"]);
    expect(server.received).toHaveLength(1);
  });

  it(".asResponse() gives the response with its body unread", async () => {
    server.handle((_r, res) => json(res, 201, ingestOk));
    const response = await client().ingest.units(event).asResponse();
    expect([response.status, response.statusText, response.url]).toEqual([
      201,
      "Created",
      `${server.url}/api/v1/ingest`,
    ]);
    expect(response.bodyUsed).toBe(false);
    expect(JSON.parse(await response.text())).toEqual(ingestOk);
  });

  it("awaiting and .withResponse() on one promise share one request and one parse", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const p = client().ingest.units(event);
    const [a, { data }] = await Promise.all([p, p.withResponse()]);
    expect(data).toBe(a);
    expect(server.received).toHaveLength(1);
  });

  it("rejects with the error of its class, through every form", async () => {
    server.handle((_r, res) => json(res, 404, { message: "no such limit" }));
    const c = client();
    await expect(c.limits.retrieve({ limit_id: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.limits.retrieve({ limit_id: "x" }).withResponse()).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.limits.retrieve({ limit_id: "x" }).asResponse()).rejects.toBeInstanceOf(NotFoundError);
    expect(await c.limits.retrieve({ limit_id: "x" }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("then/catch/finally hand back plain promises", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const derived = client()
      .ingest.units(event)
      .then((r) => r.request_id);
    expect(derived).not.toBeInstanceOf(APIPromise);
    expect(await derived).toBe("req_local_1");
  });
});

describe("a list's page promise", () => {
  it("is awaitable, iterable, and gives the first page's response", async () => {
    server.handle((r, res) =>
      r.url.includes("cursor=c2")
        ? json(res, 200, { items: [limit("lim_2")], cursor: null })
        : json(res, 200, { items: [limit("lim_1")], cursor: "c2" }, { "x-request-id": "req_page1" }),
    );
    const c = client();
    const p = c.limits.list();
    expect(p).toBeInstanceOf(PagePromise);
    const { data, response } = await p.withResponse();
    expect(data).toBeInstanceOf(Page);
    expect(data.items.map((l) => l.limit_id)).toEqual(["lim_1"]);
    expect(response.headers.get("x-request-id")).toBe("req_page1");
    expect(server.received).toHaveLength(1);

    const ids: string[] = [];
    for await (const l of c.limits.list()) ids.push(l.limit_id);
    expect(ids).toEqual(["lim_1", "lim_2"]);

    const raw = await c.limits.list().asResponse();
    expect(raw.status).toBe(200);
  });
});
