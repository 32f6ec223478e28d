// The request object openapi-fetch builds for each call stands in for a WHATWG Request: what
// fetch.ts reads of it (method, headers, body) is what a Request built the same way would hold.
import { describe, expect, it } from "vitest";
import { OutgoingRequest } from "../../src/runtime/outgoing-request.js";

const url = "http://127.0.0.1:9/api/v1/ingest";

describe("an outgoing request, read as a Request would be", () => {
  it.each<[string, RequestInit]>([
    ["nothing but a URL", {}],
    ["a method in lower case, and headers as a plain object", { method: "post", headers: { "X-Team": "search" } }],
    [
      "a Headers, and a JSON body",
      { method: "PUT", headers: new Headers({ "content-type": "application/json" }), body: '{"a":1}' },
    ],
    ["a null body", { method: "DELETE", body: null }],
  ])("%s", async (_what, init) => {
    const ours = new OutgoingRequest(url, init as ConstructorParameters<typeof OutgoingRequest>[1]);
    const theirs = new Request(url, init);
    expect(ours.url).toBe(theirs.url);
    expect(ours.method).toBe(theirs.method);
    expect([...ours.headers]).toEqual([...theirs.headers]);
    expect(ours.body).toBe(theirs.body === null ? undefined : await theirs.text());
  });

  it("keeps the Headers it is given: openapi-fetch hands a new one for each call", () => {
    const headers = new Headers({ "X-Team": "search" });
    expect(new OutgoingRequest(url, { headers }).headers).toBe(headers);
  });
});
