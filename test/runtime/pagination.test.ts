// Lists: awaitable for the first page, iterable over every item, pages fetched lazily.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIResponseValidationError, AsyncPayi, Page, PagePromise, PayiError } from "../../src/index.js";
import { json, startServer, type TestServer } from "../helpers/server.js";

const TOTAL = 1000;
let server: TestServer;
const limit = (i: number) => ({ limit_id: `lim_${i}`, limit_name: `budget-${i}` });
const paged = () =>
  server.handle((r, res) => {
    const url = new URL(r.url, "http://x");
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const size = Number(url.searchParams.get("limit") ?? 25);
    const end = Math.min(start + size, TOTAL);
    json(res, 200, {
      items: Array.from({ length: end - start }, (_, k) => limit(start + k)),
      cursor: end < TOTAL ? String(end) : null,
    });
  });
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());
const client = () => new AsyncPayi({ apiKey: "test-key-pages", baseURL: server.url, maxRetries: 0, logLevel: "off" });

describe("pagination", () => {
  it("iterates every item in order, one request per page, forwarding each cursor", async () => {
    paged();
    const ids: string[] = [];
    for await (const l of client().limits.list({ limit: 100, limit_name: "budget" })) ids.push(l.limit_id);
    expect(ids).toEqual(Array.from({ length: TOTAL }, (_, i) => `lim_${i}`));
    expect(server.received).toHaveLength(10);
    expect(server.received.map((r) => new URL(r.url, "http://x").searchParams.get("cursor"))).toEqual([
      null,
      "100",
      "200",
      "300",
      "400",
      "500",
      "600",
      "700",
      "800",
      "900",
    ]);
    expect(server.received.every((r) => r.url.includes("limit=100") && r.url.includes("limit_name=budget"))).toBe(true);
    expect(server.received.every((r) => r.method === "GET" && r.headers["xproxy-api-key"] === "test-key-pages")).toBe(
      true,
    );
  });

  it("awaits to the first page, with its helpers", async () => {
    paged();
    const page = await client().limits.list({ limit: 100 });
    expect(page).toBeInstanceOf(Page);
    expect(page.items).toHaveLength(100);
    expect([page.hasMore, page.nextCursor, page.cursor, page.hasNextPage()]).toEqual([true, "100", "100", true]);
    const next = await page.getNextPage();
    expect(next.items[0].limit_id).toBe("lim_100");
    const sizes: number[] = [];
    for await (const p of page.iterPages()) sizes.push(p.items.length);
    expect(sizes).toEqual(Array(10).fill(100));
    expect(server.received).toHaveLength(11);
  });

  it("fetches nothing more when iteration stops early", async () => {
    paged();
    let n = 0;
    for await (const _ of client().limits.list({ limit: 10 })) if (++n === 15) break;
    expect(server.received).toHaveLength(2);
  });

  it("ends on a null, absent or empty cursor, and the last page refuses getNextPage()", async () => {
    for (const cursor of [null, undefined, ""]) {
      server.handle((_r, res) => json(res, 200, { items: [limit(1)], ...(cursor === undefined ? {} : { cursor }) }));
      const page = await client().limits.list();
      expect([page.hasMore, page.nextCursor]).toEqual([false, null]);
      await expect(page.getNextPage()).rejects.toThrow(/last page/);
      const all: unknown[] = [];
      for await (const l of client().limits.list()) all.push(l);
      expect(all).toHaveLength(1);
    }
  });

  it("an answer without items or cursor is an empty last page", async () => {
    server.handle((_r, res) => json(res, 200, {}));
    const page = await client().limits.list();
    expect([page.items, page.cursor, page.hasMore, page.nextCursor]).toEqual([[], null, false, null]);
    expect(page.toJSON()).toEqual({ items: [], cursor: null });
    const all: unknown[] = [];
    for await (const l of client().limits.list()) all.push(l);
    expect(all).toEqual([]);
  });

  it("a page promise made by hand gives its page, and says it has no HTTP response", async () => {
    paged();
    const page = await client().limits.list({ limit: 10 });
    const byHand = new PagePromise<(typeof page.items)[number]>((resolve) => resolve(page));
    expect(await byHand).toBe(page);
    await expect(byHand.asResponse()).rejects.toThrow(new PayiError("This page promise has no HTTP response."));
    await expect(byHand.withResponse()).rejects.toBeInstanceOf(PayiError);
  });

  it("stops with an error instead of looping when the service answers the same cursor forever", async () => {
    // After 20 answers it ends the list, so a client that loops fails on the counts instead of hanging.
    const sameForever = () =>
      server.handle((_r, res, n) => json(res, 200, { items: [limit(1)], cursor: n <= 20 ? "same" : null }));
    sameForever();
    const seen: unknown[] = [];
    const run = async (params?: { cursor: string }) => {
      for await (const l of client().limits.list(params)) seen.push(l);
    };
    // Asked for the first page, answered "same"; asked for "same", answered "same" again.
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toContain("same cursor");
    expect(server.received.map((r) => new URL(r.url, "http://x").searchParams.get("cursor"))).toEqual([null, "same"]);
    expect(seen).toHaveLength(2);

    sameForever();
    await expect(run({ cursor: "same" })).rejects.toBeInstanceOf(PayiError);
    expect(server.received).toHaveLength(1);
  });

  it("stops with an error on any cursor seen before (A, B, A), not only the one just asked with", async () => {
    // A, B, A, B... for 20 answers, then the end: a client that loops fails on the counts instead of hanging.
    server.handle((_r, res, n) => json(res, 200, { items: [limit(n)], cursor: n > 20 ? null : n % 2 ? "A" : "B" }));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const l of client().limits.list()) seen.push(l.limit_id);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(PayiError);
    expect(err.message).toMatch(/same cursor.*"A"/);
    expect(server.received.map((r) => new URL(r.url, "http://x").searchParams.get("cursor"))).toEqual([null, "A", "B"]);
    expect(seen).toEqual(["lim_1", "lim_2", "lim_3"]);
  });

  it("asking a page for its next page twice is no loop", async () => {
    paged();
    const first = await client().limits.list({ limit: 10 });
    const a = await first.getNextPage();
    const b = await first.getNextPage();
    expect([a.items[0].limit_id, b.items[0].limit_id]).toEqual(["lim_10", "lim_10"]);
    expect((await b.getNextPage()).items[0].limit_id).toBe("lim_20");
  });

  it.each([
    ["an empty body", ""],
    ["null", "null"],
    ["an array", "[]"],
    ["items that are not an array", '{"items": "abc", "cursor": null}'],
    ["items that are an object", '{"items": {"0": 1}}'],
    ["a cursor that is not a string", '{"items": [], "cursor": 5}'],
  ])("a list answer of %s is an APIResponseValidationError, strict or not, in every mode", async (_what, text) => {
    server.handle((_r, res) => void (res.writeHead(200, { "content-type": "application/json" }), res.end(text)));
    for (const strictResponseValidation of [false, true]) {
      const c = new AsyncPayi({
        apiKey: "test-key-pages",
        baseURL: server.url,
        maxRetries: 0,
        logLevel: "off",
        strictResponseValidation,
      });
      await expect(c.limits.list()).rejects.toBeInstanceOf(APIResponseValidationError);
      await expect(
        (async () => {
          for await (const _ of c.limits.list()) void _;
        })(),
      ).rejects.toBeInstanceOf(APIResponseValidationError);
      const raw = await c.withRawResponse.limits.list();
      await expect(raw.parse()).rejects.toBeInstanceOf(APIResponseValidationError);
    }
  });
});
