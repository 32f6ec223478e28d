// What the default transport adds to a request's headers (user-agent, accept-encoding) it adds
// only when the caller has not set it: the wire carries one line of each, never two.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk } from "../helpers/server.js";

let server: http.Server;
let lines: string[][] = [];
beforeEach(async () => {
  lines = [];
  server = http.createServer((req, res) => {
    // rawHeaders: every line as sent, where headers would fold or drop repeats.
    const pairs: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      pairs.push(`${req.rawHeaders[i].toLowerCase()}: ${req.rawHeaders[i + 1]}`);
    lines.push(pairs);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(ingestOk));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const sent = (name: string) => lines[0].filter((l) => l.startsWith(`${name}: `));

describe("the default transport's own headers", () => {
  it("are one line each when the caller set them", async () => {
    const c = new AsyncPayi({
      apiKey: "test-key-lines",
      baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      defaultHeaders: { "User-Agent": "billing-job/2", "Accept-Encoding": "identity" },
      logLevel: "off",
    });
    await c.ingest.units(event);
    expect(sent("user-agent")).toEqual(["user-agent: billing-job/2"]);
    expect(sent("accept-encoding")).toEqual(["accept-encoding: identity"]);
  });

  it("are one line each when it adds them", async () => {
    const c = new AsyncPayi({
      apiKey: "test-key-lines",
      baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      logLevel: "off",
    });
    await c.ingest.units(event);
    expect(sent("user-agent")).toEqual([expect.stringMatching(/^user-agent: payi-typescript\/source node\/v/)]);
    expect(sent("accept-encoding")).toEqual(["accept-encoding: gzip, deflate"]);
  });
});
