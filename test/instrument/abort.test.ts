// A caller's abort before the provider answered: ingested at once (status 299 and a
// system.failure), not after the retry wait the provider SDK never takes. So is an abort
// during the SDK's wait before a retry. The SDK's own timeout is still retried, and stays one event.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { errorBody, json, stall, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const messages = [{ role: "user" as const, content: "Hi" }];
const setup = () =>
  instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    queue: { flushAt: 1, flushInterval: 10 },
  });
/** Pay-i has the event within a few seconds, well before the SDK's retry wait (up to 8 s) and ours after it. */
const ingestedSoon = () => vi.waitFor(() => expect(payi.events()).toHaveLength(1), { timeout: 4_000, interval: 20 });

describe("payi/instrument: the caller's abort", () => {
  it("OpenAI, retries left: aborted while waiting for the answer, ingested at once as status 299", async () => {
    provider.handle(stall);
    const client = setup().openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 2 }));
    const controller = new AbortController();
    const call = client.chat.completions.create({ model: "gpt-4o", messages }, { signal: controller.signal });
    const failed = call.catch((e: unknown) => e);
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    controller.abort();
    expect(await failed).toBeInstanceOf(OpenAI.APIUserAbortError);
    await ingestedSoon();
    expect(payi.events()).toMatchObject([
      { http_status_code: 299, resource: "gpt-4o", properties: { "system.failure": "AbortError" } },
    ]);
    expect(provider.received).toHaveLength(1);
  });

  it("Anthropic, retries left: the same", async () => {
    provider.handle(stall);
    const client = setup().anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 2 }));
    const controller = new AbortController();
    const call = client.messages.create(
      { model: "claude-opus-4-7", max_tokens: 10, messages, stream: true },
      { signal: controller.signal },
    );
    const failed = call.catch((e: unknown) => e);
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    controller.abort();
    expect(await failed).toBeInstanceOf(Anthropic.APIUserAbortError);
    await ingestedSoon();
    expect(payi.events()).toMatchObject([
      { http_status_code: 299, category: "system.anthropic", properties: { "system.failure": "AbortError" } },
    ]);
  });

  it("the SDK's own timeout is retried: one event, the answer of the retry", async () => {
    provider.handle((_req, res, n) =>
      n === 1 ? stall(_req, res, n) : json(res, 200, chatCompletion("chatcmpl-t1", openaiUsage(3, 2))),
    );
    const pi = setup();
    const client = pi.openai(
      new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 1, timeout: 1000 }),
    );
    const answer = await client.chat.completions.create({ model: "gpt-4o", messages });
    expect(answer.id).toBe("chatcmpl-t1");
    await pi.flush();
    expect(payi.events()).toMatchObject([{ provider_response_id: "chatcmpl-t1", http_status_code: 200 }]);
    expect(payi.events()[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(1000);
  });

  // The SDK sleeps 8 s before its retry (retry-after) and only then sees the abort; the event must not wait for that.
  const RETRY_AFTER_S = 8;
  const overloadedThenNever = () =>
    provider.handle((_req, res, n) =>
      n === 1
        ? json(res, 503, errorBody(503, "overloaded"), { "retry-after": String(RETRY_AFTER_S) })
        : stall(_req, res, n),
    );

  it("OpenAI: aborted while the SDK waits to retry, ingested before the wait ends, once", async () => {
    overloadedThenNever();
    const pi = setup();
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 2 }));
    const controller = new AbortController();
    let ended = false;
    const failed = client.chat.completions
      .create({ model: "gpt-4o", messages }, { signal: controller.signal })
      .catch((e: unknown) => e)
      .finally(() => (ended = true));
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    // Past the 503 (whose body the SDK discards) and into the SDK's wait.
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await ingestedSoon();
    expect(ended).toBe(false);
    const [e] = payi.events();
    expect(e).toMatchObject({
      http_status_code: 299,
      resource: "gpt-4o",
      properties: { "system.failure": "AbortError" },
    });
    expect(e.end_to_end_latency_ms).toBeLessThan(RETRY_AFTER_S * 1000);
    expect(await failed).toBeInstanceOf(OpenAI.APIUserAbortError);
    // Nothing is held any more: shutdown() (which reports held attempts) adds nothing.
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(provider.received).toHaveLength(1);
  });

  it("Anthropic: the same (its SDK unlinks the caller's signal from an answered attempt; the caller's own is watched)", async () => {
    overloadedThenNever();
    const pi = setup();
    const client = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 2 }));
    const controller = new AbortController();
    const failed = client.messages
      .create({ model: "claude-opus-4-7", max_tokens: 10, messages }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(provider.received).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    // This SDK ends its wait at the caller's abort: the error comes at once, and the event soon after.
    expect(await failed).toBeInstanceOf(Anthropic.APIUserAbortError);
    await ingestedSoon();
    expect(payi.events()).toMatchObject([
      { http_status_code: 299, category: "system.anthropic", properties: { "system.failure": "AbortError" } },
    ]);
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(provider.received).toHaveLength(1);
  });
});
