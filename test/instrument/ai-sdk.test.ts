/**
 * `ai` 6 with `pi.aiSdk()` in `wrapLanguageModel`: over a local OpenAI-compatible fake (JSON and
 * SSE), and over the AI SDK's own test models for what a fake server cannot easily say.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText, wrapLanguageModel } from "ai";
import { MockLanguageModelV3, convertArrayToReadableStream } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiSdkMiddleware } from "../../src/instrument/providers/ai-sdk.js";
import { json, startServer, type TestServer } from "../helpers/server.js";
import { chatChunks, chatCompletion, writeChatSse } from "./fakes/openai-compatible.js";
import { recordingCore } from "./fakes/recording-core.js";

let fake: TestServer;
beforeAll(async () => {
  fake = await startServer();
});
afterAll(() => fake.close());

const u = (input: number, output = 0) => ({ input, output });
const openaiUnits = { text: u(20, 25), text_cache_read: u(100), reasoning: u(0, 15) };

function model(core: ReturnType<typeof recordingCore>) {
  const provider = createOpenAICompatible({
    name: "openai",
    baseURL: `${fake.url}/v1`,
    apiKey: "local",
    includeUsage: true,
  });
  return wrapLanguageModel({ model: provider.chatModel("gpt-4o-mini"), middleware: aiSdkMiddleware(core) });
}

describe("over an OpenAI-compatible server", () => {
  it("generateText: one call with the usage details as units", async () => {
    fake.handle((_req, res) => json(res, 200, chatCompletion("Hello!")));
    const core = recordingCore({ user_id: "u-root" });
    const out = await generateText({ model: model(core), prompt: "hi", maxRetries: 0 });
    expect(out.text).toBe("Hello!");
    expect(core.reports).toHaveLength(1);
    const { call, ctx } = core.reports[0];
    expect(call).toMatchObject({
      provider: "openai.chat",
      category: "system.openai",
      model: "gpt-4o-mini",
      status: 200,
      responseId: "chatcmpl-local-1",
      units: openaiUnits,
      request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    });
    expect(call.response).toMatchObject({ id: "chatcmpl-local-1" });
    expect(ctx).toEqual({ user_id: "u-root" });
  });

  it("providerOptions.payi is a context for that call, nested in the one in force", async () => {
    fake.handle((_req, res) => json(res, 200, chatCompletion("ok")));
    const core = recordingCore({ user_id: "u-root", limit_ids: ["l1"] });
    await generateText({
      model: model(core),
      prompt: "hi",
      maxRetries: 0,
      providerOptions: { payi: { use_case_name: "support", limit_ids: ["l2"], request_properties: { ticket: "42" } } },
    });
    const { ctx } = core.reports[0];
    expect(ctx).toMatchObject({
      user_id: "u-root",
      use_case_name: "support",
      limit_ids: ["l1", "l2"],
      request_properties: { ticket: "42" },
    });
    expect(ctx.use_case_id).toEqual(expect.any(String));
    // The provider never sees it.
    expect(JSON.parse(fake.received[0].body)).not.toHaveProperty("payi");
  });

  it("a bad providerOptions.payi is refused before the call, naming the field", async () => {
    fake.handle((_req, res) => json(res, 200, chatCompletion("ok")));
    const core = recordingCore();
    await expect(
      generateText({
        model: model(core),
        prompt: "hi",
        maxRetries: 0,
        providerOptions: { payi: { limit_ids: "l1" } as never },
      }),
    ).rejects.toThrow(/providerOptions\.payi.*limit_ids/);
    expect(fake.received).toHaveLength(0);
  });

  it("streamText: every part reaches the caller; the finish part's usage is the call's", async () => {
    fake.handle((_req, res) => writeChatSse(res, chatChunks(["Hel", "lo"])));
    const core = recordingCore();
    const result = streamText({ model: model(core), prompt: "hi", maxRetries: 0 });
    let text = "";
    for await (const t of result.textStream) text += t;
    expect(text).toBe("Hello");
    await core.reported();
    const { call } = core.reports[0];
    expect(call).toMatchObject({
      status: 200,
      units: openaiUnits,
      responseId: "chatcmpl-local-2",
      model: "gpt-4o-mini",
    });
    expect(call.failure).toBeUndefined();
    expect(call.firstTokenAt).toBeGreaterThanOrEqual(call.startedAt);
    expect(JSON.parse(fake.received[0].body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("a stream broken midway is reported with a failure", async () => {
    fake.handle((_req, res) => writeChatSse(res, chatChunks(["a", "b", "c"]), { breakAfter: 2 }));
    const core = recordingCore();
    const result = streamText({ model: model(core), prompt: "hi", maxRetries: 0, onError: () => {} });
    const err = await (async () => {
      for await (const _ of result.fullStream);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    await core.reported();
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call.units).toEqual({});
    expect(core.reports[0].call.failure).toBeTruthy();
  });

  it("a provider error is reported with its status and body, and still thrown", async () => {
    fake.handle((_req, res) => json(res, 400, { error: { message: "bad model", type: "invalid_request_error" } }));
    const core = recordingCore();
    await expect(generateText({ model: model(core), prompt: "hi", maxRetries: 0 })).rejects.toThrow(/bad model/);
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({
      status: 400,
      units: {},
      response: { error: { message: "bad model" } },
    });
  });
});

describe("over the AI SDK's test models", () => {
  const usage = {
    inputTokens: { total: 50, noCache: 10, cacheRead: 0, cacheWrite: 40 },
    outputTokens: { total: 7, text: 7, reasoning: 0 },
    raw: {
      input_tokens: 10,
      output_tokens: 7,
      cache_creation_input_tokens: 40,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 40 },
    },
  };

  it("the provider's category and its own usage: Anthropic's 1-hour cache writes", async () => {
    const core = recordingCore();
    const mock = new MockLanguageModelV3({
      provider: "anthropic.messages",
      modelId: "claude-sonnet-4-5",
      doGenerate: async () => ({
        content: [{ type: "text", text: "ok" }],
        finishReason: { unified: "stop", raw: "end_turn" },
        usage,
        warnings: [],
        response: { id: "msg_01", modelId: "claude-sonnet-4-5-20250929" },
      }),
    });
    await generateText({ model: wrapLanguageModel({ model: mock, middleware: aiSdkMiddleware(core) }), prompt: "hi" });
    expect(core.reports[0].call).toMatchObject({
      category: "system.anthropic",
      model: "claude-sonnet-4-5",
      responseId: "msg_01",
      units: { text: u(10, 7), text_cache_write_1h: u(40) },
    });
  });

  it("an error part in the stream is the call's failure", async () => {
    const core = recordingCore();
    const mock = new MockLanguageModelV3({
      provider: "google.generative-ai",
      modelId: "gemini-2.5-flash",
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: "stream-start", warnings: [] },
          { type: "response-metadata", id: "resp-1", modelId: "gemini-2.5-flash" },
          { type: "text-start", id: "0" },
          { type: "text-delta", id: "0", delta: "par" },
          { type: "error", error: Object.assign(new Error("overloaded"), { name: "APICallError" }) },
        ]),
      }),
    });
    const result = streamText({
      model: wrapLanguageModel({ model: mock, middleware: aiSdkMiddleware(core) }),
      prompt: "hi",
      onError: () => {},
    });
    for await (const _ of result.fullStream);
    await core.reported();
    expect(core.reports[0].call).toMatchObject({
      category: "system.google.vertex",
      model: "google.gemini-2.5-flash",
      responseId: "resp-1",
      failure: "APICallError",
      failureDescription: "overloaded",
    });
  });

  it("the caller who stops reading: reported as abandoned, once", async () => {
    const core = recordingCore();
    const parts = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "0" },
      ...Array.from({ length: 20 }, (_, i) => ({ type: "text-delta", id: "0", delta: `t${i} ` })),
    ];
    const mock = new MockLanguageModelV3({
      provider: "openai.responses",
      modelId: "gpt-5",
      doStream: async () => ({ stream: convertArrayToReadableStream(parts as never) }),
    });
    // streamText reads the model's stream whether or not its caller does: this is the model's own caller stopping.
    const wrapped = wrapLanguageModel({ model: mock, middleware: aiSdkMiddleware(core) });
    const { stream } = await wrapped.doStream({ prompt: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
    const reader = stream.getReader();
    for (let n = 0; n < 3; n++) await reader.read();
    await reader.cancel();
    await core.reported();
    await new Promise((r) => setTimeout(r, 20));
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call.failure).toBe("stream_abandoned");
  });
});
