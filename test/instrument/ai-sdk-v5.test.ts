/** The same middleware in `ai` 5 (language model specification v2, flat usage), over its own test models. */
import { APICallError, generateText, streamText, wrapLanguageModel } from "ai5";
import { MockLanguageModelV2, convertArrayToReadableStream } from "ai5/test";
import { describe, expect, it } from "vitest";
import { aiSdkMiddleware } from "../../src/instrument/providers/ai-sdk.js";
import { recordingCore } from "./fakes/recording-core.js";

const u = (input: number, output = 0) => ({ input, output });

describe("ai 5", () => {
  it("generateText: OpenAI's flat counts, cached and reasoning taken out", async () => {
    const core = recordingCore();
    const model = new MockLanguageModelV2({
      provider: "openai.responses",
      modelId: "o4-mini",
      doGenerate: async () => ({
        content: [{ type: "text", text: "ok" }],
        finishReason: "stop",
        usage: { inputTokens: 100, outputTokens: 50, totalTokens: 150, cachedInputTokens: 40, reasoningTokens: 20 },
        warnings: [],
        response: { id: "resp_v2", modelId: "o4-mini-2025-04-16" },
      }),
    });
    const out = await generateText({
      model: wrapLanguageModel({ model, middleware: aiSdkMiddleware(core) }),
      prompt: "hi",
    });
    expect(out.text).toBe("ok");
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({
      category: "system.openai",
      model: "o4-mini",
      responseId: "resp_v2",
      status: 200,
      units: { text: u(60, 30), text_cache_read: u(40), reasoning: u(0, 20) },
    });
  });

  it("streamText: Anthropic's counts and cache writes from the finish part's provider metadata", async () => {
    const core = recordingCore();
    const model = new MockLanguageModelV2({
      provider: "anthropic.messages",
      modelId: "claude-sonnet-4-5",
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: "stream-start", warnings: [] },
          { type: "response-metadata", id: "msg_v2", modelId: "claude-sonnet-4-5" },
          { type: "text-start", id: "0" },
          { type: "text-delta", id: "0", delta: "ok" },
          { type: "text-end", id: "0" },
          {
            type: "finish",
            finishReason: "stop",
            usage: { inputTokens: 12, outputTokens: 6, totalTokens: 18, cachedInputTokens: 1000 },
            providerMetadata: { anthropic: { cacheCreationInputTokens: 500 } },
          },
        ]),
      }),
    });
    const result = streamText({ model: wrapLanguageModel({ model, middleware: aiSdkMiddleware(core) }), prompt: "hi" });
    expect(await result.text).toBe("ok");
    await core.reported();
    expect(core.reports[0].call).toMatchObject({
      category: "system.anthropic",
      responseId: "msg_v2",
      units: { text: u(12, 6), text_cache_read: u(1000), text_cache_write: u(500) },
    });
    expect(core.reports[0].call.failure).toBeUndefined();
  });
  it("a retried call (500, then an answer) is one event, the answer's, timed from the first attempt", async () => {
    const core = recordingCore();
    let attempts = 0;
    const model = new MockLanguageModelV2({
      provider: "openai.chat",
      modelId: "gpt-4o-mini",
      doGenerate: async () => {
        if (++attempts === 1) {
          await new Promise((r) => setTimeout(r, 200));
          throw new APICallError({
            message: "overloaded",
            url: "http://127.0.0.1/v1/chat/completions",
            requestBodyValues: {},
            statusCode: 500,
            responseHeaders: { "retry-after-ms": "10" },
            isRetryable: true,
          });
        }
        return {
          content: [{ type: "text", text: "ok" }],
          finishReason: "stop",
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
          warnings: [],
          response: { id: "resp_retried" },
        };
      },
    });
    const out = await generateText({
      model: wrapLanguageModel({ model, middleware: aiSdkMiddleware(core) }),
      prompt: "hi",
      maxRetries: 2,
    });
    expect(out.text).toBe("ok");
    expect(attempts).toBe(2);
    expect(core.reports).toHaveLength(1);
    const { call } = core.reports[0];
    expect(call).toMatchObject({ status: 200, responseId: "resp_retried", units: { text: u(3, 2) } });
    expect(call.endedAt - call.startedAt).toBeGreaterThanOrEqual(200);
  });
});
