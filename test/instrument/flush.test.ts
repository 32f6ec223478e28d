// What flush() and shutdown() wait for: the events of the calls that ended before them,
// through Pay-i's retries; a call its provider SDK is about to retry is not reported early.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const payiClient = (maxRetries = 0) =>
  new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries });
const messages = [{ role: "user" as const, content: "Hi" }];
const rateLimited = { error: { message: "slow down", type: "rate_limit" } };
const anthropicMessage = {
  id: "msg_f1",
  type: "message",
  role: "assistant",
  model: "claude-opus-4-7",
  content: [{ type: "text", text: "Hello" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 8, output_tokens: 3 },
};

/**
 * A client's own fetch (the instrumentation wraps it) that records each answer's status: once
 * a status is there, the SDK has that answer, so a test can act during the SDK's retry wait.
 */
function seeingFetch(): { fetch: typeof fetch; statuses: number[] } {
  const statuses: number[] = [];
  return {
    statuses,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      statuses.push(res.status);
      return res;
    },
  };
}

/** Until the SDK has the first answer and the instrumentation has seen it (a turn later). */
async function answered(statuses: number[]): Promise<void> {
  await vi.waitFor(() => expect(statuses).toEqual([429]));
  await new Promise((r) => setImmediate(r));
}

/** A provider answering 429 (retry in `waitMs`) first, then `answer`. */
function limitedOnce(waitMs: number, answer: unknown): void {
  provider.handle((_req, res, n) =>
    n === 1 ? json(res, 429, rateLimited, { "retry-after-ms": String(waitMs) }) : json(res, 200, answer),
  );
}

describe("payi/instrument flush() and shutdown()", () => {
  it("OpenAI: flush() during the SDK's retry wait reports nothing early; the call is one event, its final attempt's", async () => {
    limitedOnce(600, chatCompletion("chatcmpl-f1", openaiUsage(10, 5)));
    const errors: Error[] = [];
    const pi = instrument(payiClient(), { onError: (e) => errors.push(e) });
    const seen = seeingFetch();
    const client = pi.openai(
      new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 2, fetch: seen.fetch }),
    );
    const call = client.chat.completions.create({ model: "gpt-4o", messages });
    await answered(seen.statuses);
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await call;
    await pi.flush();
    expect(provider.received).toHaveLength(2);
    expect(payi.events()).toMatchObject([{ provider_response_id: "chatcmpl-f1", http_status_code: 200 }]);
    expect(payi.events()[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(600);
    expect(errors).toEqual([]);
  });

  it("Anthropic: the same, through @anthropic-ai/sdk's retries", async () => {
    limitedOnce(600, anthropicMessage);
    const pi = instrument(payiClient());
    const seen = seeingFetch();
    const client = pi.anthropic(
      new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 2, fetch: seen.fetch }),
    );
    const call = client.messages.create({ model: "claude-opus-4-7", max_tokens: 10, messages });
    await answered(seen.statuses);
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await call;
    await pi.flush();
    expect(payi.events()).toMatchObject([{ provider_response_id: "msg_f1", http_status_code: 200 }]);
  });

  it("shutdown() during the SDK's retry wait reports the attempt as it stands, and the retry is not reported again", async () => {
    limitedOnce(800, chatCompletion("chatcmpl-f2", openaiUsage(1, 1)));
    const errors: Error[] = [];
    const pi = instrument(payiClient(), { onError: (e) => errors.push(e) });
    const seen = seeingFetch();
    const client = pi.openai(
      new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 2, fetch: seen.fetch }),
    );
    const call = client.chat.completions.create({ model: "gpt-4o", messages });
    await answered(seen.statuses);
    await pi.shutdown();
    expect(payi.events()).toMatchObject([{ http_status_code: 429, resource: "gpt-4o" }]);
    expect((await call).id).toBe("chatcmpl-f2");
    await new Promise((r) => setTimeout(r, 50));
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("ingest mode: flush() resolves once Pay-i took the event, after its own retries", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-f3", openaiUsage(2, 1))));
    payi.handle((_req, res, n) =>
      n === 1
        ? json(res, 503, { message: "busy", statusCode: 503 }, { "retry-after-ms": "300" })
        : json(res, 200, { ingest_count: 1, ingest_timestamp: new Date().toISOString(), error_count: 0, errors: [] }),
    );
    const errors: Error[] = [];
    const pi = instrument(payiClient(1), { onError: (e) => errors.push(e) });
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    await client.chat.completions.create({ model: "gpt-4o", messages });
    await pi.flush();
    expect(payi.received).toHaveLength(2);
    expect(payi.events().map((e) => e.provider_response_id)).toEqual(["chatcmpl-f3", "chatcmpl-f3"]);
    expect(errors).toEqual([]);
  });

  it("ingest mode: an event Pay-i keeps refusing reaches onError before flush() resolves", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-f4", openaiUsage(2, 1))));
    payi.handle((_req, res) => json(res, 503, { message: "down", statusCode: 503 }, { "retry-after-ms": "50" }));
    const errors: Error[] = [];
    const pi = instrument(payiClient(2), { onError: (e) => errors.push(e) });
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    await client.chat.completions.create({ model: "gpt-4o", messages });
    await pi.flush();
    expect(payi.received).toHaveLength(3);
    expect(errors).toHaveLength(1);
  });

  it("ingest mode with a spool: an event Pay-i could not take yet stays spooled, and a later flush() delivers it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "payi-instrument-flush-"));
    try {
      provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-f6", openaiUsage(2, 1))));
      payi.handle((_req, res) => json(res, 503, { message: "busy", statusCode: 503 }));
      const errors: Error[] = [];
      const pi = instrument(payiClient(), { queue: { spool: dir }, onError: (e) => errors.push(e) });
      const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
      await client.chat.completions.create({ model: "gpt-4o", messages });
      await pi.flush();
      expect(payi.received).toHaveLength(1);
      expect(errors).toEqual([]);
      payi.reset();
      await pi.flush();
      expect(payi.events().map((e) => e.provider_response_id)).toEqual(["chatcmpl-f6"]);
      await pi.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a queue of the user's, full and waiting for room while Pay-i is down: flush() and shutdown() end rather than wait for room only Pay-i can make", async () => {
    const dir = mkdtempSync(join(tmpdir(), "payi-instrument-full-"));
    try {
      provider.handle((_req, res, n) => json(res, 200, chatCompletion(`chatcmpl-w${n}`, openaiUsage(2, 1))));
      payi.handle((_req, res) => json(res, 503, { message: "down", statusCode: 503 }));
      const queue = payiClient().ingest.queue({ spool: dir, overflow: "wait", maxQueueSize: 2, flushAt: 1 });
      const errors: Error[] = [];
      const pi = instrument(payiClient(), { queue, onError: (e) => errors.push(e) });
      const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
      for (let i = 0; i < 4; i++) await client.chat.completions.create({ model: "gpt-4o", messages });
      const ended = (p: Promise<void>) =>
        Promise.race([p.then(() => "ended"), new Promise((r) => setTimeout(() => r("still waiting"), 3_000))]);
      // Two events are spooled; two enqueue() calls wait for room that only Pay-i can make.
      expect(await ended(pi.flush())).toBe("ended");
      expect(await ended(pi.shutdown())).toBe("ended");
      expect(queue.stats()).toMatchObject({ accepted: 2, pending: 2, delivered: 0 });
      expect(errors).toEqual([]);
      // The queue is the user's to close: the two calls still waiting for room are refused then, and reported.
      await queue.shutdown({ timeoutMs: 100 });
      await vi.waitFor(() =>
        expect(errors.map((e) => e.message)).toEqual(Array(2).fill(expect.stringMatching(/shut down/))),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("direct mode: flush() resolves once Pay-i answered the event, after its own retries", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-f5", openaiUsage(2, 1))));
    payi.handle((_req, res, n) =>
      n === 1
        ? json(res, 503, { message: "busy", statusCode: 503 }, { "retry-after-ms": "300" })
        : json(res, 200, {
            event_timestamp: new Date().toISOString(),
            ingest_timestamp: new Date().toISOString(),
            request_id: "req_f5",
            xproxy_result: { request_id: "req_f5" },
          }),
    );
    const pi = instrument(payiClient(1), { mode: "direct" });
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    const answer = await client.chat.completions.create({ model: "gpt-4o", messages });
    await pi.flush();
    expect(payi.units()).toHaveLength(2);
    expect(await pi.result(answer)).toMatchObject({ request_id: "req_f5" });
  });
});
