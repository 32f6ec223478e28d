// The views of an answer a user can ask for: `.asResponse()` (headers kept, an empty answer
// an empty body), `.finally()`/`.catch()` on a call, and a streamed response read as JSON or
// bytes, or closed when it has no body at all.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIPromise, AsyncPayi, NotFoundError } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-views", baseURL: server.url, maxRetries: 0, logLevel: "off" });
// An operation the spec answers with 204 and no body.
const kpi = { use_case_name: "support-chat", use_case_id: "uc_1", kpi_name: "deflection-rate", score: 0.5 };
const noContent = (_r: unknown, res: import("node:http").ServerResponse) => {
  res.writeHead(204, { "x-request-id": "req_204" });
  res.end();
};

describe(".asResponse()", () => {
  it("keeps the answer's headers with its status and body", async () => {
    server.handle((_r, res) => json(res, 201, ingestOk, { "x-request-id": "req_as" }));
    const response = await client().ingest.units(event).asResponse();
    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("req_as");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(ingestOk);
  });

  it("of an answer with no body (204) gives a response with no body", async () => {
    server.handle(noContent);
    const response = await client().useCases.kpis.update(kpi).asResponse();
    expect([response.status, response.headers.get("x-request-id"), response.body]).toEqual([204, "req_204", null]);
    expect(await response.text()).toBe("");
    expect(await client().useCases.kpis.update(kpi)).toBeUndefined();
  });

  it("of an empty answer (200, no bytes) gives a response with no body, as for a 204", async () => {
    server.handle((_r, res) => {
      res.writeHead(200, { "content-length": "0", "x-request-id": "req_empty" });
      res.end();
    });
    const response = await client().useCases.kpis.update(kpi).asResponse();
    expect([response.status, response.headers.get("x-request-id"), response.body]).toEqual([200, "req_empty", null]);
    expect(await response.text()).toBe("");
  });
});

describe("a call's promise", () => {
  it(".finally() runs its callback and resolves to the result, as a plain promise", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    let ran = 0;
    const p = client()
      .ingest.units(event)
      .finally(() => void ran++);
    expect(p).not.toBeInstanceOf(APIPromise);
    expect(await p).toEqual(ingestOk);
    expect(ran).toBe(1);
  });

  it(".finally() runs its callback on a failure too and keeps the error", async () => {
    server.handle((_r, res) => json(res, 404, { message: "no such limit" }));
    let ran = 0;
    const err = await client()
      .limits.retrieve({ limit_id: "x" })
      .finally(() => void ran++)
      .then(
        () => "resolved",
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(NotFoundError);
    expect(ran).toBe(1);
  });

  it(".catch() hands back a plain promise of the result when nothing fails", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const p = client()
      .ingest.units(event)
      .catch(() => "failed");
    expect(p).not.toBeInstanceOf(APIPromise);
    expect(await p).toEqual(ingestOk);
  });
});

describe("a streamed response", () => {
  it("reads its body as JSON", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const streamed = await client().withStreamingResponse.ingest.units(event);
    expect(await streamed.json()).toEqual(ingestOk);
    expect(streamed.bodyUsed).toBe(true);
  });

  it("reads its body as bytes", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const streamed = await client().withStreamingResponse.ingest.units(event);
    const bytes = await streamed.arrayBuffer();
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect(JSON.parse(Buffer.from(bytes).toString("utf8"))).toEqual(ingestOk);
  });

  it("with no body (204) closes without error, and parses to nothing", async () => {
    server.handle(noContent);
    const streamed = await client().withStreamingResponse.useCases.kpis.update(kpi);
    expect([streamed.status, streamed.ok, streamed.body]).toEqual([204, true, null]);
    await expect(streamed.close()).resolves.toBeUndefined();
    const again = await client().withStreamingResponse.useCases.kpis.update(kpi);
    expect(await again.parse()).toBeUndefined();
  });
});
