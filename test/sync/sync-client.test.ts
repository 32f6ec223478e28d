// Payi: the same surface as AsyncPayi, each call returning its result, against servers in other processes.
import { execFile, type ChildProcess } from "node:child_process";
import { inspect, promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APITimeoutError, NotFoundError, Payi, PayiError, PayiValidationError, Timeout } from "../../src/index.js";
import { workerTables } from "../../src/runtime/sync-client.js";
import { forkServer } from "../helpers/fork-server.js";

const KEY = "sk-sync-secret-0123456789";
let child: ChildProcess;
let url: string;
beforeAll(async () => {
  ({ child, url } = await forkServer());
});
afterAll(() => void child.kill());
const stats = async () => (await fetch(`${url}/__stats`)).json() as Promise<Record<string, number>>;
const client = (o: ConstructorParameters<typeof Payi>[0] = {}) =>
  new Payi({ apiKey: KEY, baseURL: url, logLevel: "off", ...o });

describe("Payi", () => {
  it("returns results, not promises", () => {
    const r = client().ingest.units(
      { category: "system.openai", units: { text: { input: 1 } } },
      { headers: { "x-test-id": "plain" } },
    );
    expect(r).not.toBeInstanceOf(Promise);
    expect(r.request_id).toBe("req_plain_1");
  });

  it("iterates 1,000 items in pages of 100, fetching each page as it is reached", async () => {
    const before = (await stats())["/api/v1/limits"] ?? 0;
    const page = client().limits.list({ limit: 100 });
    expect([page.items.length, page.hasMore, page.nextCursor]).toEqual([100, true, "100"]);
    const ids: string[] = [];
    for (const l of page) ids.push(l.limit_id);
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => `lim_${i}`));
    expect((await stats())["/api/v1/limits"] - before).toBe(10);
    const sizes = [...page.iterPages()].map((p) => p.items.length);
    expect(sizes).toEqual(Array(10).fill(100));
    expect(page.getNextPage().items[0].limit_id).toBe("lim_100");
  });

  it("retries with backoff in the worker", () => {
    const r = client().ingest.units(
      { category: "system.openai", units: { text: { input: 1 } } },
      { headers: { "x-test-id": "flaky", "x-test-fail": "2" } },
    );
    expect(r.request_id).toBe("req_flaky_3");
  });

  it("throws the same error classes, with status, headers and body, without the key", () => {
    let err: any;
    try {
      client().limits.retrieve({ limit_id: "missing" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "limit_not_found", body: { message: "Limit not found" } });
    expect(err.headers.get("x-request-id")).toBe("req_404");
    for (const view of [String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) expect(view).not.toContain(KEY);
    expect(() => client().limits.retrieve({ limit_id: "" })).toThrow(PayiValidationError);
  });

  it("after a call that timed out, a normal call gets its own answer", () => {
    const c = client({ maxRetries: 0 });
    expect(() =>
      c.limits.reset({ limit_id: "slow" }, { timeout: new Timeout({ timeout: 200, connect: 200 }) }),
    ).toThrow(APITimeoutError);
    expect(c.limits.reset({ limit_id: "fast" }).request_id).toBe("fast");
  });

  it("offers raw and streaming responses", () => {
    const raw = client().withRawResponse.limits.reset({ limit_id: "raw" });
    expect([
      raw.status,
      raw.statusText,
      raw.ok,
      raw.url,
      raw.headers.get("content-type"),
      raw.parse().request_id,
    ]).toEqual([200, "OK", true, `${url}/api/v1/limits/raw/reset`, "application/json", "raw"]);
    const streamed = client().withStreamingResponse.limits.reset({ limit_id: "streamed" });
    expect(streamed.status).toBe(200);
    expect(JSON.parse(streamed.text()).request_id).toBe("streamed");
    expect(() => streamed.text()).toThrow(/already read/);
    expect(client().withStreamingResponse.limits.reset({ limit_id: "parsed" }).parse()).toMatchObject({
      request_id: "parsed",
    });
    expect(client().withStreamingResponse.limits.reset({ limit_id: "json" }).json()).toMatchObject({
      request_id: "json",
    });
  });

  it("closing a streamed response frees its body in the worker; it cannot be read after", () => {
    const before = workerTables().streams;
    const streamed = client().withStreamingResponse.limits.reset({ limit_id: "closed" });
    expect(workerTables().streams).toBe(before + 1);
    streamed.close();
    expect(workerTables().streams).toBe(before);
    expect(() => streamed.text()).toThrow("This streamed body was already read or closed.");
    // Closing a body already read (or closed) does nothing.
    const read = client().withStreamingResponse.limits.reset({ limit_id: "read" });
    read.text();
    read.close();
    streamed.close();
    expect(workerTables().streams).toBe(before);
  });

  it("keeps each client's options apart on the shared worker, call after call", () => {
    const alpha = client({ defaultHeaders: { "x-test-id": "alpha" } });
    const beta = client({ defaultHeaders: { "x-test-id": "beta" } });
    const event = { category: "system.openai", units: { text: { input: 1 } } };
    const ids = [alpha, beta, alpha, beta, alpha].map((c) => c.ingest.units(event).request_id);
    expect(ids).toEqual(["req_alpha_1", "req_beta_1", "req_alpha_2", "req_beta_2", "req_alpha_3"]);
  });

  it("withOptions makes a client with the options it is given, keeping the rest", () => {
    const event = { category: "system.openai", units: { text: { input: 1 } } };
    const base = client({ defaultHeaders: { "x-test-id": "wo-base", "x-test-fail": "1" } });
    const derived = base.withOptions({
      maxRetries: 0,
      defaultHeaders: { "x-test-id": "wo-derived", "x-test-fail": "1" },
    });
    expect(derived.baseURL).toBe(url);
    // Its own maxRetries: the first 503 is final.
    expect(() => derived.ingest.units(event)).toThrow(expect.objectContaining({ status: 503 }));
    // Its own headers: the server counted "wo-derived", which now answers.
    expect(derived.ingest.units(event).request_id).toBe("req_wo-derived_2");
    // The client it came from is unchanged: its headers, and its retries past a 503.
    expect(base.ingest.units(event).request_id).toBe("req_wo-base_2");
  });

  it("refuses what cannot cross a thread, at construction or call", () => {
    expect(() => new Payi({ apiKey: KEY, fetch: globalThis.fetch } as never)).toThrow(/fetch/);
    expect(() => new Payi({ apiKey: KEY, logger: console } as never)).toThrow(/logger/);
    expect(() => client().limits.reset({ limit_id: "x" }, { signal: AbortSignal.timeout(10) } as never)).toThrow(
      new PayiError(
        "Payi cannot take a `signal`: a synchronous call cannot be aborted from the same thread. Use AsyncPayi, or a timeout.",
      ),
    );
    // No signal given is no signal.
    expect(client().limits.reset({ limit_id: "nosignal" }, { signal: undefined } as never).request_id).toBe("nosignal");
  });

  it("shows only its baseURL when printed or serialized; its raw and streaming views are not own keys", () => {
    const c = client();
    expect(inspect(c)).toBe(`Payi { baseURL: ${JSON.stringify(url)} }`);
    expect(JSON.parse(JSON.stringify(c))).toEqual({ baseURL: url });
    expect(Object.keys(c)).not.toContain("withRawResponse");
    expect(Object.keys(c)).not.toContain("withStreamingResponse");
    expect(Object.keys(c)).toContain("limits");
  });

  it("lets a script exit on its own when done", async () => {
    const script = fileURLToPath(new URL("../fixtures/sync-script.ts", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, url], {
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({ request_id: "req_script_1", limits: 1000 });
  });
});
