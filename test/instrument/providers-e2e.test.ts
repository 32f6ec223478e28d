/**
 * Bedrock, Google, the AI SDK and OpenTelemetry spans through `instrument()`: the exact ingest
 * events a recording fake Pay-i receives, with the `track()` context of the caller.
 */
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { GoogleGenAI } from "@google/genai";
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { generateText, wrapLanguageModel } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, track, type Instrumentor } from "../../src/instrument/index.js";
import { startServer, type TestServer } from "../helpers/server.js";
import {
  REQUEST_ID,
  bedrockJson,
  converseStreamFrames,
  startBedrockFake,
  writeFrames,
  type BedrockFake,
} from "./fakes/bedrock.js";
import { startFakePayi, type FakePayi } from "./fakes.js";
import { geminiChunks, writeSse } from "./fakes/gemini.js";

let bedrockFake: BedrockFake;
let gemini: TestServer;
let payi: FakePayi;
const manager = new AsyncLocalStorageContextManager();
beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  context.setGlobalContextManager(manager.enable());
  bedrockFake = await startBedrockFake();
  gemini = await startServer();
  payi = await startFakePayi();
});
afterAll(async () => {
  context.disable();
  await Promise.all([bedrockFake.close(), gemini.close(), payi.close()]);
});
beforeEach(() => payi.reset());

const u = (input: number, output = 0) => ({ input, output });
const pi = (): Instrumentor =>
  instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    onError: (e) => errors.push(e),
  });
let errors: Error[] = [];
beforeEach(() => void (errors = []));
const bedrock = () =>
  new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: bedrockFake.url,
    credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
    maxAttempts: 1,
  });
const messages = [{ role: "user" as const, content: [{ text: "hello" }] }];

describe("events as Pay-i receives them", () => {
  it("Bedrock Converse inside a track() scope", async () => {
    bedrockFake.handle((_req, res) =>
      bedrockJson(res, {
        output: { message: { role: "assistant", content: [{ text: "hi" }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 10, outputTokens: 4, totalTokens: 64, cacheReadInputTokens: 50 },
        metrics: { latencyMs: 3 },
      }),
    );
    const p = pi();
    const client = p.bedrock(bedrock());
    const before = Date.now();
    await track({ use_case_name: "summaries", user_id: "u-7", limit_ids: ["budget"] }, () =>
      client.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages })),
    );
    await p.flush();
    expect(errors).toEqual([]);
    const events = payi.events();
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e).toMatchObject({
      category: "system.aws.bedrock",
      resource: "amazon.nova-pro-v1:0",
      units: { text: u(10, 4), text_cache_read: u(50) },
      http_status_code: 200,
      provider_response_id: REQUEST_ID,
      provider_uri: `${bedrockFake.url}/model/amazon.nova-pro-v1%3A0/converse`,
      use_case_name: "summaries",
      user_id: "u-7",
      limit_ids: ["budget"],
    });
    expect(Object.keys(e.units)).toHaveLength(2);
    expect(Date.parse(String(e.event_timestamp))).toBeGreaterThanOrEqual(before - 1);
    expect(JSON.parse(e.provider_request_json!)).toEqual({ modelId: "amazon.nova-pro-v1:0", messages });
  });

  it("a Bedrock stream abandoned by its caller is one event with system.failure", async () => {
    bedrockFake.handle((_req, res) =>
      writeFrames(
        res,
        converseStreamFrames(
          Array.from({ length: 30 }, (_, i) => `t${i}`),
          { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
        ),
      ),
    );
    const p = pi();
    const out = await p
      .bedrock(bedrock())
      .send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
    let n = 0;
    for await (const _ of out.stream!) if (++n === 2) break;
    await p.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({ http_status_code: 200, properties: { "system.failure": "stream_abandoned" } });
    expect(e.time_to_first_token_ms).toBeGreaterThanOrEqual(0);
  });

  it("Gemini streamed through pi.googleFetch()", async () => {
    gemini.handle((_req, res) =>
      writeSse(res, geminiChunks(["a", "b"], { promptTokenCount: 8, candidatesTokenCount: 2, thoughtsTokenCount: 5 })),
    );
    const p = pi();
    const ai = new GoogleGenAI({ apiKey: "local", httpOptions: { baseUrl: gemini.url, fetch: p.googleFetch() } });
    await track({ account_name: "acme" }, async () => {
      for await (const _ of await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" }));
    });
    await p.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.google.vertex",
      resource: "google.gemini-2.5-flash",
      units: { text: u(8, 2), reasoning: u(0, 5) },
      provider_response_id: "resp-gemini-1",
      account_name: "acme",
    });
    expect(e.properties).toBeUndefined();
  });

  it("Gemini: per-call xProxy-* headers beat the scope's context and never reach Google", async () => {
    gemini.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
          modelVersion: "gemini-2.5-flash",
          responseId: "g-2",
        }),
      );
    });
    const p = pi();
    const ai = new GoogleGenAI({ apiKey: "local", httpOptions: { baseUrl: gemini.url, fetch: p.googleFetch() } });
    await track({ user_id: "scope-user", account_name: "acme" }, () =>
      ai.models.generateContent({
        model: "gemini-2.5-flash",
        contents: "hi",
        config: { httpOptions: { headers: { "xProxy-User-ID": "call-user" } } },
      }),
    );
    await p.flush();
    expect(payi.events()[0]).toMatchObject({ user_id: "call-user", account_name: "acme", units: { text: u(3, 1) } });
    expect(gemini.received[0].headers).not.toHaveProperty("xproxy-user-id");
  });

  it("the AI SDK middleware with providerOptions.payi", async () => {
    const p = pi();
    const model = new MockLanguageModelV3({
      provider: "amazon-bedrock",
      modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0",
      doGenerate: async () => ({
        content: [{ type: "text", text: "ok" }],
        finishReason: { unified: "stop", raw: "end_turn" },
        usage: {
          inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 3, text: 3, reasoning: 0 },
        },
        warnings: [],
        response: { id: "b-1", modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0" },
      }),
    });
    await generateText({
      model: wrapLanguageModel({ model, middleware: p.aiSdk() }),
      prompt: "hi",
      providerOptions: { payi: { user_id: "u-9", request_properties: { team: "search" } } },
    });
    await p.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.aws.bedrock",
      resource: "us.anthropic.claude-sonnet-4-20250514-v1:0",
      units: { text: u(12, 3) },
      provider_response_id: "b-1",
      user_id: "u-9",
      properties: { team: "search" },
    });
  });
});

describe("pi.spanProcessor()", () => {
  let tracer: Tracer;
  let exporter: InMemorySpanExporter;
  const setup = (p: Instrumentor) => {
    exporter = new InMemorySpanExporter();
    tracer = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter), p.spanProcessor()],
    }).getTracer("t");
  };

  it("a traced-only call is an event; a Bedrock call made inside a traced span is counted once", async () => {
    bedrockFake.handle((_req, res) =>
      bedrockJson(res, {
        output: { message: { role: "assistant", content: [] } },
        stopReason: "end_turn",
        usage: { inputTokens: 5, outputTokens: 5, totalTokens: 10 },
        metrics: { latencyMs: 1 },
      }),
    );
    const p = pi();
    setup(p);
    const client = p.bedrock(bedrock());
    const genAi = {
      "gen_ai.provider.name": "aws.bedrock",
      "gen_ai.request.model": "amazon.nova-pro-v1:0",
      "gen_ai.usage.input_tokens": 5,
      "gen_ai.usage.output_tokens": 5,
    };
    await track({ user_id: "traced" }, () =>
      tracer.startActiveSpan("chat amazon.nova-pro-v1:0", async (span) => {
        await client.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }));
        span.setAttributes(genAi);
        span.end();
      }),
    );
    const only = tracer.startSpan("chat gpt-4o");
    only.setAttributes({
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.response.id": "chatcmpl-t",
      "gen_ai.usage.input_tokens": 40,
      "gen_ai.usage.output_tokens": 9,
      "gen_ai.usage.reasoning.output_tokens": 4,
    });
    only.end();
    await p.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    const events = payi.events();
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.category).sort()).toEqual(["system.aws.bedrock", "system.openai"]);
    expect(events.find((e) => e.category === "system.aws.bedrock")).toMatchObject({
      user_id: "traced",
      provider_response_id: REQUEST_ID,
    });
    expect(events.find((e) => e.category === "system.openai")).toMatchObject({
      resource: "gpt-4o",
      provider_response_id: "chatcmpl-t",
      units: { text: u(40, 5), reasoning: u(0, 4) },
      http_status_code: 200,
    });
  });
});
