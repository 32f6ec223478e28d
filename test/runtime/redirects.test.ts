// The key goes to the configured origin only: followed redirects keep it on the same origin and drop it elsewhere.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIConnectionError, APIError, AsyncPayi } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let home: TestServer;
let other: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  home = await startServer();
  other = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(async () => {
  await home.close();
  await other.close();
});
const client = () => new AsyncPayi({ apiKey: "test-key-redirects", baseURL: home.url, maxRetries: 0, logLevel: "off" });

describe("redirects", () => {
  it("follows a same-origin 307 with the key, the method and the body", async () => {
    home.handle((r, res) =>
      r.url === "/api/v1/ingest"
        ? void (res.writeHead(307, { location: "/api/v1/ingest?moved=1" }), res.end())
        : json(res, 200, ingestOk),
    );
    await expect(client().ingest.units(event)).resolves.toEqual(ingestOk);
    const [, second] = home.received;
    expect(second).toMatchObject({ method: "POST", url: "/api/v1/ingest?moved=1" });
    expect(second.headers["xproxy-api-key"]).toBe("test-key-redirects");
    expect(JSON.parse(second.body)).toEqual(event);
  });

  it("does not carry the key to another origin", async () => {
    home.handle((_r, res) => {
      res.writeHead(308, { location: `${other.url}/api/v1/ingest` });
      res.end();
    });
    other.handle((_r, res) => json(res, 200, ingestOk));
    await expect(client().ingest.units(event)).resolves.toEqual(ingestOk);
    expect(other.received).toHaveLength(1);
    expect(other.received[0].headers["xproxy-api-key"]).toBeUndefined();
    expect(other.received[0].method).toBe("POST");
  });

  it("carries no credential and no configured header to another origin; per-request headers stay the caller's", async () => {
    const saved = process.env.PAYI_CUSTOM_HEADERS;
    process.env.PAYI_CUSTOM_HEADERS = "X-From-Env: env";
    try {
      home.handle((r, res) => {
        const to = r.url.includes("same") ? "/api/v1/ingest?moved=1" : `${other.url}/api/v1/ingest`;
        res.writeHead(307, { location: to });
        res.end();
      });
      const c = new AsyncPayi({
        apiKey: "test-key-redirects",
        baseURL: home.url,
        maxRetries: 0,
        logLevel: "off",
        defaultHeaders: { "X-Team": "search", "X-Shared": "default" },
      });
      const perRequest = {
        Authorization: "Bearer t0ken",
        "Proxy-Authorization": "Basic cHJveHk=",
        Cookie: "session=s3cret",
        "X-Call": "mine",
        "x-shared": "per-request",
      };
      await c.ingest.units(event, { headers: perRequest });
      const [away] = other.received;
      for (const name of ["xproxy-api-key", "authorization", "proxy-authorization", "cookie", "x-team", "x-from-env"])
        expect(away.headers[name], name).toBeUndefined();
      expect([away.headers["x-call"], away.headers["x-shared"]]).toEqual(["mine", "per-request"]);

      // The same origin gets all of them again.
      await c.ingest.units(event, { headers: perRequest, query: { same: "1" } });
      const kept = home.received.at(-1)!;
      expect(kept.url).toBe("/api/v1/ingest?moved=1");
      expect(kept.headers).toMatchObject({
        "xproxy-api-key": "test-key-redirects",
        authorization: "Bearer t0ken",
        "proxy-authorization": "Basic cHJveHk=",
        cookie: "session=s3cret",
        "x-team": "search",
        "x-from-env": "env",
      });
    } finally {
      if (saved === undefined) delete process.env.PAYI_CUSTOM_HEADERS;
      else process.env.PAYI_CUSTOM_HEADERS = saved;
    }
  });

  it("turns a 303 into a GET without the body", async () => {
    home.handle((r, res) =>
      r.method === "POST"
        ? void (res.writeHead(303, { location: "/api/v1/limits" }), res.end())
        : json(res, 200, ingestOk),
    );
    await client().ingest.units(event);
    expect(home.received[1]).toMatchObject({ method: "GET", body: "" });
  });

  it("stops a redirect loop", async () => {
    home.handle((_r, res) => {
      res.writeHead(302, { location: "/api/v1/limits" });
      res.end();
    });
    await expect(client().limits.retrieve({ limit_id: "lim_1" })).rejects.toThrow(/Too many redirects/);
  });
});

describe("redirects, as fetch follows them", () => {
  it("turns a POST answered 301 or 302 into a GET without the body or its content-type", async () => {
    for (const status of [301, 302]) {
      home.handle((r, res) =>
        r.method === "POST"
          ? void (res.writeHead(status, { location: "/api/v1/moved" }), res.end())
          : json(res, 200, ingestOk),
      );
      await client().ingest.units(event);
      expect(home.received.map((r) => r.method)).toEqual(["POST", "GET"]);
      expect(home.received[1].body).toBe("");
      expect(home.received[1].headers["content-type"], String(status)).toBeUndefined();
      expect(home.received[1].headers["xproxy-api-key"]).toBe("test-key-redirects");
    }
  });

  it("keeps a DELETE answered 301 a DELETE", async () => {
    home.handle((r, res) =>
      r.url === "/api/v1/limits/lim_1"
        ? void (res.writeHead(301, { location: "/api/v1/limits/lim_1/moved" }), res.end())
        : json(res, 200, { request_id: "req_del" }),
    );
    await client().limits.delete({ limit_id: "lim_1" });
    expect(home.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      "DELETE /api/v1/limits/lim_1",
      "DELETE /api/v1/limits/lim_1/moved",
    ]);
  });

  it("follows ten redirects; the eleventh fails the call, and retrying would not help", async () => {
    const hops = (n: number) =>
      home.handle((r, res) => {
        const at = Number(new URL(r.url, home.url).searchParams.get("hop") ?? 0);
        if (at < n) {
          res.writeHead(307, { location: `/api/v1/ingest?hop=${at + 1}` });
          res.end();
        } else json(res, 200, ingestOk);
      });
    hops(10);
    await expect(client().ingest.units(event)).resolves.toEqual(ingestOk);
    expect(home.received).toHaveLength(11);

    hops(11);
    const retrying = new AsyncPayi({ apiKey: "k-redirects", baseURL: home.url, maxRetries: 2, logLevel: "off" });
    const err = await retrying.ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.message).toBe("Too many redirects (more than 10).");
    expect(home.received).toHaveLength(11);
  });

  it("a 300 or a 304 with a Location is the answer, as fetch has it, and so is a 201 naming what it created", async () => {
    for (const status of [300, 304]) {
      home.handle((_r, res) => void (res.writeHead(status, { location: "/api/v1/elsewhere" }), res.end()));
      const err = await client()
        .ingest.units(event)
        .catch((e) => e);
      expect(err).toBeInstanceOf(APIError);
      expect(err.status).toBe(status);
      expect(home.received).toHaveLength(1);
    }
    home.handle((_r, res) => json(res, 201, ingestOk, { location: "/api/v1/ingest/req_local_1" }));
    await expect(client().ingest.units(event)).resolves.toEqual(ingestOk);
    home.handle((_r, res) => json(res, 404, { message: "gone" }, { location: "/api/v1/elsewhere" }));
    await expect(client().ingest.units(event)).rejects.toMatchObject({ status: 404 });
    expect(home.received).toHaveLength(1);
  });

  it("a 3xx without a Location is the answer: an APIError with its status", async () => {
    home.handle((_r, res) => json(res, 302, { message: "moved, somewhere" }));
    const err = await client()
      .ingest.units(event)
      .catch((e) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err.status).toBe(302);
    expect(err.message).toBe("302 moved, somewhere");
    expect(home.received).toHaveLength(1);
  });

  it("a retry after a redirect to another origin starts again from the configured one, with the key", async () => {
    home.handle((_r, res) => {
      res.writeHead(307, { location: `${other.url}/api/v1/ingest` });
      res.end();
    });
    other.handle((_r, res, n) =>
      n === 1 ? json(res, 503, { message: "busy" }, { "retry-after-ms": "1" }) : json(res, 200, ingestOk),
    );
    const retrying = new AsyncPayi({ apiKey: "k-redirects", baseURL: home.url, maxRetries: 1, logLevel: "off" });
    await expect(retrying.ingest.units(event)).resolves.toEqual(ingestOk);
    expect(home.received.map((r) => r.headers["xproxy-api-key"])).toEqual(["k-redirects", "k-redirects"]);
    expect(other.received.map((r) => r.headers["xproxy-api-key"])).toEqual([undefined, undefined]);
  });

  it("with a fetch that cannot show a redirect (a browser's), says so and does not retry", async () => {
    home.handle((_r, res) => {
      res.writeHead(302, { location: "/api/v1/moved" });
      res.end();
    });
    // What a browser's fetch gives for redirect: "manual": an opaque answer, status 0, no headers.
    const browserLike = async (url: string | URL | Request, init?: RequestInit) => {
      const real = await fetch(url, init);
      if (real.status < 300 || real.status > 399) return real;
      await real.body?.cancel();
      const opaque = new Response(null, { status: 200 });
      Object.defineProperty(opaque, "type", { value: "opaqueredirect" });
      Object.defineProperty(opaque, "status", { value: 0 });
      return opaque;
    };
    const c = new AsyncPayi({ apiKey: "k-redirects", baseURL: home.url, fetch: browserLike, logLevel: "off" });
    const err = await c.ingest.units(event).catch((e) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.message).toMatch(
      /answered a redirect, which this runtime cannot follow.*set baseURL to the final address/,
    );
    expect(home.received).toHaveLength(1);
  });
});
