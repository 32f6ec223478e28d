// The AI SDK retries outside the middleware (`maxRetries`): each user call is still one event,
// its final attempt's, timed from its first; an attempt it will not retry is ingested at once, so
// is the caller's abort during the wait; shutdown() during the wait ingests the call then, once.
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText, wrapLanguageModel } from "ai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { type FakePayi, useFakes } from "./fakes.js";
import { chatChunks, chatCompletion, writeChatSse } from "./fakes/openai-compatible.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

/** An instrumentor delivering through a queue of the caller's, which stays open after shutdown(): a late event would still arrive. */
const setup = () => {
  const errors: Error[] = [];
  const client = new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 });
  const queue = client.ingest.queue({ flushAt: 1, flushInterval: 10, onError: (e) => errors.push(e) });
  const pi = instrument(client, { queue, onError: (e) => errors.push(e) });
  const openai = createOpenAICompatible({
    name: "openai",
    baseURL: `${provider.url}/v1`,
    apiKey: "local",
    includeUsage: true,
  });
  const model = wrapLanguageModel({ model: openai.chatModel("gpt-4o-mini"), middleware: pi.aiSdk() });
  return { pi, model, queue, errors };
};

const overloaded = { error: { message: "overloaded", type: "server_error" } };
/** A failed attempt's answer, after `slowMs`, asking the SDK to retry after `retryMs`. */
const fail = (res: Parameters<Parameters<TestServer["handle"]>[0]>[1], status: number, retryMs: number, slowMs = 0) =>
  new Promise<void>((r) =>
    setTimeout(() => {
      json(res, status, overloaded, { "retry-after-ms": String(retryMs) });
      r();
    }, slowMs),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("payi/instrument: the AI SDK's retries", () => {
  it("generateText, 500 then 200: one event, the 200, timed from the first attempt", async () => {
    let firstAt = 0;
    provider.handle((_req, res, n) => {
      if (n > 1) return json(res, 200, chatCompletion("Hello!"));
      firstAt = Date.now();
      return fail(res, 500, 10, 300);
    });
    const { pi, model, errors } = setup();
    const out = await generateText({ model, prompt: "hi", maxRetries: 2 });
    expect(out.text).toBe("Hello!");
    expect(provider.received).toHaveLength(2);
    await pi.flush();
    const events = payi.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ http_status_code: 200, provider_response_id: "chatcmpl-local-1" });
    expect(new Date(events[0].event_timestamp!).getTime()).toBeLessThanOrEqual(firstAt);
    expect(events[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(300);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("streamText, 503 then a stream: one event, the stream's, timed from the first attempt", async () => {
    provider.handle((_req, res, n) => (n > 1 ? writeChatSse(res, chatChunks(["Hel", "lo"])) : fail(res, 503, 10, 300)));
    const { pi, model, errors } = setup();
    const result = streamText({ model, prompt: "hi", maxRetries: 2 });
    expect(await result.text).toBe("Hello");
    await pi.flush();
    const events = payi.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      http_status_code: 200,
      units: { text: { input: 20, output: 25 }, text_cache_read: { input: 100, output: 0 } },
    });
    expect(events[0].properties?.["system.failure"]).toBeUndefined();
    expect(events[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(300);
    expect(errors).toEqual([]);
  });

  it("500 three times with maxRetries 2: one event, the last attempt's status, once the SDK's wait has passed", async () => {
    const statuses = [500, 502, 503];
    provider.handle((_req, res, n) => fail(res, statuses[n - 1], 10, n === 1 ? 300 : 0));
    const { pi, model, errors } = setup();
    await expect(generateText({ model, prompt: "hi", maxRetries: 2 })).rejects.toThrow(/overloaded/);
    expect(provider.received).toHaveLength(3);
    await vi.waitFor(() => expect(payi.events().length).toBeGreaterThan(0), { timeout: 20_000, interval: 100 });
    await pi.flush();
    const events = payi.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ http_status_code: 503, provider_response_json: JSON.stringify(overloaded) });
    expect(events[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(300);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 30_000);

  it("a 400 (not retried) is one event at once", async () => {
    provider.handle((_req, res) => json(res, 400, { error: { message: "bad model", type: "invalid_request_error" } }));
    const { pi, model, errors } = setup();
    await expect(generateText({ model, prompt: "hi", maxRetries: 2 })).rejects.toThrow(/bad model/);
    await pi.flush();
    expect(payi.events()).toMatchObject([{ http_status_code: 400 }]);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("500 then a 400 (not retried): one event, the 400, at once, timed from the first attempt", async () => {
    provider.handle((_req, res, n) =>
      n === 1 ? fail(res, 500, 10, 300) : json(res, 400, { error: { message: "bad model", type: "invalid" } }),
    );
    const { pi, model, errors } = setup();
    await expect(generateText({ model, prompt: "hi", maxRetries: 2 })).rejects.toThrow(/bad model/);
    expect(provider.received).toHaveLength(2);
    await pi.flush();
    const events = payi.events();
    expect(events).toMatchObject([{ http_status_code: 400 }]);
    expect(events[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(300);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  // The SDK waits 8 s before its retry (retry-after-ms): the event must not wait for that.
  const WAIT_MS = 8_000;

  it("the caller's abort during the SDK's wait: one event at once (status 299, AbortError)", async () => {
    provider.handle((_req, res, n) => (n === 1 ? fail(res, 500, WAIT_MS) : json(res, 200, chatCompletion("late"))));
    const { pi, model, errors } = setup();
    const controller = new AbortController();
    const failed = generateText({ model, prompt: "hi", maxRetries: 2, abortSignal: controller.signal }).catch(
      (e: unknown) => e,
    );
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    await sleep(200);
    controller.abort();
    expect(await failed).toMatchObject({ name: "AbortError" });
    await pi.flush();
    const events = payi.events();
    expect(events).toMatchObject([{ http_status_code: 299, properties: { "system.failure": "AbortError" } }]);
    expect(events[0].end_to_end_latency_ms).toBeLessThan(WAIT_MS);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(provider.received).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("shutdown() during the SDK's wait: the call ingested then, as it stands, and not again when the retry answers", async () => {
    provider.handle((_req, res, n) => (n === 1 ? fail(res, 500, 2_500) : json(res, 200, chatCompletion("late"))));
    const { pi, model, queue, errors } = setup();
    const answer = generateText({ model, prompt: "hi", maxRetries: 2 });
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    await sleep(100);
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await pi.shutdown();
    expect(payi.events()).toMatchObject([
      { http_status_code: 500, provider_response_json: JSON.stringify(overloaded) },
    ]);
    expect((await answer).text).toBe("late");
    expect(provider.received).toHaveLength(2);
    await sleep(100);
    await queue.flush();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
