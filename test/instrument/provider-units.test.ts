/** Each provider's usage as Pay-i's units: one row per rule, the usage as the provider sends it. */
import { describe, expect, it } from "vitest";
import { aiSdkUsageUnits } from "../../src/instrument/providers/ai-sdk-usage.js";
import {
  bedrockFamily,
  converseGuardrailUnits,
  converseUsageUnits,
  headerMetrics,
  invocationMetricsUnits,
  invokeBodyUnits,
  invokeGuardrailUnits,
} from "../../src/instrument/providers/bedrock-usage.js";
import { genAiSpanCall } from "../../src/instrument/providers/gen-ai-span.js";
import { googleResource, googleUsageUnits } from "../../src/instrument/providers/google-usage.js";
import { categoryAndResource } from "../../src/instrument/providers/provider-category.js";
import type { Units } from "../../src/instrument/providers/usage-fields.js";

const u = (input: number, output = 0) => ({ input, output });

describe("Bedrock Converse usage", () => {
  const rows: [string, string, unknown, Units][] = [
    [
      "input and output",
      "amazon.nova-pro-v1:0",
      { inputTokens: 12, outputTokens: 30, totalTokens: 42 },
      { text: u(12, 30) },
    ],
    [
      "cache read and write apart from text",
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
      { inputTokens: 4, outputTokens: 150, totalTokens: 1754, cacheReadInputTokens: 0, cacheWriteInputTokens: 1600 },
      { text: u(4, 150), text_cache_write: u(1600) },
    ],
    [
      "cache read",
      "meta.llama3-70b",
      { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 300 },
      { text: u(10, 5), text_cache_read: u(300) },
    ],
    [
      "1-hour cache writes from cacheDetails",
      "anthropic.claude-3-7-sonnet",
      {
        inputTokens: 1,
        outputTokens: 2,
        cacheWriteInputTokens: 500,
        cacheDetails: [
          { ttl: "1h", inputTokens: 200 },
          { ttl: "5m", inputTokens: 300 },
        ],
      },
      { text: u(1, 2), text_cache_write: u(300), text_cache_write_1h: u(200) },
    ],
    [
      "Anthropic large context from 200k input with cache",
      "anthropic.claude-sonnet-4",
      { inputTokens: 100_000, outputTokens: 7, cacheReadInputTokens: 100_000 },
      { text_large_context: u(100_000, 7), text_cache_read_large_context: u(100_000) },
    ],
    [
      "no large context for other families",
      "amazon.nova-premier",
      { inputTokens: 250_000, outputTokens: 7 },
      { text: u(250_000, 7) },
    ],
    ["missing usage", "amazon.nova-pro-v1:0", undefined, {}],
  ];
  it.each(rows)("%s", (_name, model, usage, units) => expect(converseUsageUnits(usage, model)).toEqual(units));

  it("guardrail units from the input and every output assessment, summed over guardrails", () => {
    const units: Units = {};
    converseGuardrailUnits(units, {
      guardrail: {
        inputAssessment: {
          g1: {
            invocationMetrics: {
              usage: {
                topicPolicyUnits: 1,
                contentPolicyUnits: 2,
                wordPolicyUnits: 1,
                sensitiveInformationPolicyUnits: 0,
                sensitiveInformationPolicyFreeUnits: 3,
                contextualGroundingPolicyUnits: 0,
                contentPolicyImageUnits: 1,
                automatedReasoningPolicyUnits: 4,
              },
            },
          },
        },
        outputAssessments: {
          g1: [
            {
              invocationMetrics: {
                usage: { contentPolicyUnits: 5, sensitiveInformationPolicyUnits: 2, contextualGroundingPolicyUnits: 1 },
              },
            },
          ],
        },
      },
    });
    expect(units).toEqual({
      guardrail_topic: u(1),
      guardrail_content: u(7),
      guardrail_word_free: u(1),
      guardrail_sensitive_information: u(2),
      guardrail_sensitive_information_free: u(3),
      guardrail_contextual_grounding: u(1),
      guardrail_content_image: u(1),
      guardrail_automated_reasoning: u(4),
    });
  });
});

describe("Bedrock InvokeModel usage by family", () => {
  it.each([
    ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic"],
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic"],
    ["arn:aws:bedrock:us-east-1:123:inference-profile/us.meta.llama3-2-1b-instruct-v1:0", "meta"],
    ["openai.gpt-oss-120b-1:0", "openai"],
    ["amazon.nova-lite-v1:0", "nova"],
    ["amazon.titan-embed-text-v2:0", "titan"],
    ["mistral.mistral-large-2402-v1:0", "other"],
    ["cohere.embed-english-v3", "other"],
  ])("%s is %s", (model, family) => expect(bedrockFamily(model)).toBe(family));

  const rows: [string, Parameters<typeof invokeBodyUnits>[0], unknown, Units][] = [
    [
      "anthropic with cache writes by TTL",
      "anthropic",
      {
        usage: {
          input_tokens: 20,
          output_tokens: 9,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 50,
          cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 20 },
        },
      },
      { text: u(20, 9), text_cache_read: u(100), text_cache_write: u(30), text_cache_write_1h: u(20) },
    ],
    [
      "anthropic large context",
      "anthropic",
      { usage: { input_tokens: 150_000, output_tokens: 1, cache_creation_input_tokens: 50_000 } },
      { text_large_context: u(150_000, 1), text_cache_write_large_context: u(50_000) },
    ],
    ["openai (gpt-oss)", "openai", { usage: { prompt_tokens: 11, completion_tokens: 22 } }, { text: u(11, 22) }],
    ["meta", "meta", { prompt_token_count: 8, generation_token_count: 16 }, { text: u(8, 16) }],
    [
      "nova with cache (as units, not bare numbers)",
      "nova",
      { usage: { inputTokens: 5, outputTokens: 6, cacheReadInputTokenCount: 70, cacheWriteInputTokenCount: 80 } },
      { text: u(5, 6), text_cache_read: u(70), text_cache_write: u(80) },
    ],
    ["titan embeddings", "titan", { embedding: [0.1], inputTextTokenCount: 7 }, { text: u(7) }],
    [
      "titan text",
      "titan",
      { inputTextTokenCount: 3, results: [{ tokenCount: 4 }, { tokenCount: 5 }] },
      { text: u(3, 9) },
    ],
    ["a family whose body has no usage", "other", { outputs: [{ text: "hi" }] }, {}],
  ];
  it.each(rows)("%s", (_name, family, body, units) => expect(invokeBodyUnits(family, body)).toEqual(units));

  it("headers and stream metrics give text and cache units", () => {
    const headers = {
      "x-amzn-bedrock-input-token-count": "13",
      "x-amzn-bedrock-output-token-count": "21",
      "x-amzn-bedrock-cache-read-input-token-count": "5",
      "x-amzn-bedrock-cache-write-input-token-count": "0",
    };
    expect(invocationMetricsUnits(headerMetrics(headers))).toEqual({ text: u(13, 21), text_cache_read: u(5) });
    expect(invocationMetricsUnits({ inputTokenCount: 3, outputTokenCount: 4, cacheWriteInputTokenCount: 9 })).toEqual({
      text: u(3, 4),
      text_cache_write: u(9),
    });
  });

  it("InvokeModel guardrail units from amazon-bedrock-trace input and outputs", () => {
    const units: Units = {};
    invokeGuardrailUnits(units, {
      "amazon-bedrock-trace": {
        guardrail: {
          input: { g: { invocationMetrics: { usage: { topicPolicyUnits: 2 } } } },
          outputs: [{ g: { invocationMetrics: { usage: { topicPolicyUnits: 3, wordPolicyUnits: 1 } } } }],
        },
      },
    });
    expect(units).toEqual({ guardrail_topic: u(5), guardrail_word_free: u(1) });
  });
});

describe("Gemini usageMetadata", () => {
  const rows: [string, string, unknown, Units][] = [
    [
      "text only, no details",
      "gemini-2.0-flash",
      { promptTokenCount: 10, candidatesTokenCount: 20, totalTokenCount: 30 },
      { text: u(10, 20) },
    ],
    [
      "per modality, cache taken out of input, thinking as reasoning",
      "gemini-2.5-flash",
      {
        promptTokenCount: 1300,
        candidatesTokenCount: 40,
        thoughtsTokenCount: 25,
        cachedContentTokenCount: 600,
        promptTokensDetails: [
          { modality: "TEXT", tokenCount: 500 },
          { modality: "IMAGE", tokenCount: 258 },
          { modality: "AUDIO", tokenCount: 250 },
          { modality: "VIDEO", tokenCount: 292 },
        ],
        cacheTokensDetails: [
          { modality: "TEXT", tokenCount: 400 },
          { modality: "VIDEO", tokenCount: 200 },
        ],
        candidatesTokensDetails: [{ modality: "TEXT", tokenCount: 40 }],
      },
      {
        text: u(100, 40),
        vision: u(258),
        audio: u(250),
        video: u(92),
        text_cache_read: u(400),
        video_cache_read: u(200),
        reasoning: u(0, 25),
      },
    ],
    [
      "cached tokens without a breakdown are text",
      "gemini-2.5-flash",
      { promptTokenCount: 1000, candidatesTokenCount: 5, cachedContentTokenCount: 800 },
      { text: u(200, 5), text_cache_read: u(800) },
    ],
    [
      "image and audio output",
      "gemini-2.5-flash-image",
      {
        promptTokenCount: 7,
        candidatesTokenCount: 1300,
        candidatesTokensDetails: [
          { modality: "IMAGE", tokenCount: 1290 },
          { modality: "TEXT", tokenCount: 10 },
        ],
      },
      { text: u(7, 10), image: u(0, 1290) },
    ],
    [
      "documents are text, tool-use prompts are input",
      "gemini-2.5-flash",
      {
        promptTokenCount: 300,
        candidatesTokenCount: 1,
        toolUsePromptTokenCount: 50,
        promptTokensDetails: [
          { modality: "TEXT", tokenCount: 40 },
          { modality: "DOCUMENT", tokenCount: 260 },
        ],
      },
      { text: u(350, 1) },
    ],
    [
      "gemini-2.5-pro over 200k is large context",
      "gemini-2.5-pro",
      { promptTokenCount: 200_001, candidatesTokenCount: 3, thoughtsTokenCount: 2 },
      { text_large_context: u(200_001, 3), reasoning_large_context: u(0, 2) },
    ],
    [
      "exactly 200k is not",
      "gemini-2.5-pro",
      { promptTokenCount: 200_000, candidatesTokenCount: 3 },
      { text: u(200_000, 3) },
    ],
  ];
  it.each(rows)("%s", (_name, model, usage, units) => expect(googleUsageUnits(usage, model)).toEqual(units));

  it("resource is google.<model>", () => {
    expect(googleResource("gemini-2.5-flash")).toBe("google.gemini-2.5-flash");
    expect(googleResource("models/gemini-2.5-flash")).toBe("google.gemini-2.5-flash");
  });
});

describe("AI SDK usage", () => {
  it.each([
    [
      "openai: cache reads and reasoning apart",
      "openai",
      "gpt-4o",
      {
        inputTokens: { total: 100, noCache: 60, cacheRead: 40, cacheWrite: undefined },
        outputTokens: { total: 50, text: 30, reasoning: 20 },
      },
      { text: u(60, 30), text_cache_read: u(40), reasoning: u(0, 20) },
    ],
    [
      "no details: totals less cache and reasoning",
      "openai",
      "gpt-4o",
      { inputTokens: { total: 100, cacheRead: 10 }, outputTokens: { total: 50, reasoning: 5 } },
      { text: u(90, 45), text_cache_read: u(10), reasoning: u(0, 5) },
    ],
    [
      "anthropic generic with cache write, large context",
      "anthropic",
      "claude-sonnet-4",
      {
        inputTokens: { total: 210_000, noCache: 10_000, cacheRead: 0, cacheWrite: 200_000 },
        outputTokens: { total: 3 },
      },
      { text_large_context: u(10_000, 3), text_cache_write_large_context: u(200_000) },
    ],
    [
      "anthropic raw usage gives 1-hour writes",
      "anthropic",
      "claude-sonnet-4",
      {
        inputTokens: { total: 60, noCache: 10, cacheWrite: 50 },
        outputTokens: { total: 3 },
        raw: {
          input_tokens: 10,
          output_tokens: 3,
          cache_creation_input_tokens: 50,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 50 },
        },
      },
      { text: u(10, 3), text_cache_write_1h: u(50) },
    ],
    [
      "google raw usage gives modalities",
      "google",
      "gemini-2.5-flash",
      {
        inputTokens: { total: 20 },
        outputTokens: { total: 4 },
        raw: {
          promptTokenCount: 20,
          candidatesTokenCount: 4,
          promptTokensDetails: [
            { modality: "TEXT", tokenCount: 12 },
            { modality: "AUDIO", tokenCount: 8 },
          ],
        },
      },
      { text: u(12, 4), audio: u(8) },
    ],
    ["no usage at all", "openai", "gpt-4o", undefined, {}],
  ] as const)("%s", (_name, family, model, usage, units) =>
    expect(aiSdkUsageUnits(usage as never, family, model)).toEqual(units),
  );

  // ai 5 (specification v2): flat counts, whose meaning each provider chose.
  it.each([
    [
      "v2 openai: cached and reasoning inside the totals",
      "openai",
      "gpt-4o",
      { inputTokens: 100, outputTokens: 50, totalTokens: 150, cachedInputTokens: 40, reasoningTokens: 20 },
      undefined,
      { text: u(60, 30), text_cache_read: u(40), reasoning: u(0, 20) },
    ],
    [
      "v2 anthropic: cache reads apart, writes from the provider metadata",
      "anthropic",
      "claude-sonnet-4",
      { inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 300 },
      { anthropic: { cacheCreationInputTokens: 200 } },
      { text: u(10, 5), text_cache_read: u(300), text_cache_write: u(200) },
    ],
    [
      "v2 anthropic: the provider metadata's own usage when given",
      "anthropic",
      "claude-sonnet-4",
      { inputTokens: 10, outputTokens: 5 },
      {
        anthropic: {
          usage: {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation: { ephemeral_1h_input_tokens: 7 },
            cache_creation_input_tokens: 7,
          },
        },
      },
      { text: u(10, 5), text_cache_write_1h: u(7) },
    ],
    [
      "v2 google: thinking outside the output count",
      "google",
      "gemini-2.5-flash",
      { inputTokens: 30, outputTokens: 8, reasoningTokens: 12 },
      undefined,
      { text: u(30, 8), reasoning: u(0, 12) },
    ],
    [
      "v2 google: usageMetadata in the provider metadata",
      "google",
      "gemini-2.5-flash",
      { inputTokens: 30, outputTokens: 8 },
      {
        google: {
          usageMetadata: {
            promptTokenCount: 30,
            candidatesTokenCount: 8,
            promptTokensDetails: [{ modality: "AUDIO", tokenCount: 30 }],
          },
        },
      },
      { audio: u(30), text: u(0, 8) },
    ],
    [
      "v2 bedrock: cache writes from the provider metadata",
      "bedrock",
      "amazon.nova-pro-v1:0",
      { inputTokens: 10, outputTokens: 2, cachedInputTokens: 5 },
      { bedrock: { usage: { cacheWriteInputTokens: 9 } } },
      { text: u(10, 2), text_cache_read: u(5), text_cache_write: u(9) },
    ],
  ] as const)("%s", (_name, family, model, usage, metadata, units) =>
    expect(aiSdkUsageUnits(usage as never, family, model, metadata)).toEqual(units),
  );
});

describe("provider names to category and resource", () => {
  it.each([
    ["openai.chat", "gpt-4o", "system.openai", "gpt-4o"],
    ["openai", "gpt-4o", "system.openai", "gpt-4o"],
    ["azure.ai.openai", "my-deployment", "system.azureopenai", "my-deployment"],
    ["azure.chat", "my-deployment", "system.azureopenai", "my-deployment"],
    ["anthropic.messages", "claude-sonnet-4", "system.anthropic", "claude-sonnet-4"],
    ["amazon-bedrock", "amazon.nova-pro-v1:0", "system.aws.bedrock", "amazon.nova-pro-v1:0"],
    ["aws.bedrock", "amazon.nova-pro-v1:0", "system.aws.bedrock", "amazon.nova-pro-v1:0"],
    ["google.generative-ai", "gemini-2.5-flash", "system.google.vertex", "google.gemini-2.5-flash"],
    ["gcp.gemini", "gemini-2.5-flash", "system.google.vertex", "google.gemini-2.5-flash"],
    ["gcp.vertex_ai", "gemini-2.5-pro", "system.google.vertex", "google.gemini-2.5-pro"],
    ["gateway", "anthropic/claude-sonnet-4", "system.anthropic", "claude-sonnet-4"],
    ["mistral.chat", "mistral-large", "mistral", "mistral-large"],
  ])("%s %s", (provider, model, category, resource) =>
    expect(categoryAndResource(provider, model)).toMatchObject({ category, resource }),
  );
});

describe("GenAI span attributes", () => {
  it("conventions' attributes: cached and reasoning tokens taken out of text", () => {
    expect(
      genAiSpanCall({
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 40,
        "gen_ai.usage.cache_read.input_tokens": 30,
        "gen_ai.usage.reasoning.output_tokens": 10,
      }),
    ).toEqual({
      provider: "openai",
      family: "openai",
      category: "system.openai",
      resource: "gpt-4o",
      responseId: "chatcmpl-1",
      operation: "chat",
      units: { text: u(70, 30), text_cache_read: u(30), reasoning: u(0, 10) },
    });
  });
  it("anthropic cache writes, and the older gen_ai.system", () => {
    expect(
      genAiSpanCall({
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-haiku",
        "gen_ai.usage.input_tokens": 500,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.cache_creation.input_tokens": 400,
      })?.units,
    ).toEqual({ text: u(100, 5), text_cache_write: u(400) });
  });
  it("the AI SDK's own usage details", () => {
    expect(
      genAiSpanCall({
        "gen_ai.system": "openai.chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 20,
        "gen_ai.usage.output_tokens": 8,
        "ai.usage.cachedInputTokens": 5,
        "ai.usage.reasoningTokens": 3,
      })?.units,
    ).toEqual({ text: u(15, 5), text_cache_read: u(5), reasoning: u(0, 3) });
  });
  it("spans without a provider, a model or usage are not calls", () => {
    expect(genAiSpanCall({ "http.method": "GET" })).toBeUndefined();
    expect(genAiSpanCall({ "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o" })).toBeUndefined();
    expect(genAiSpanCall({ "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1 })).toBeUndefined();
  });
});

describe("every unit kind the providers produce is a named kind", () => {
  it("Bedrock, Gemini, the AI SDK and spans, at their largest", async () => {
    const { UNIT_KINDS } = await import("../../src/instrument/units.js");
    const all = (["text", "vision", "audio", "video"] as const).map((m) => ({
      modality: m === "vision" ? "IMAGE" : m.toUpperCase(),
      tokenCount: 100_000,
    }));
    const produced: Units[] = [
      googleUsageUnits(
        {
          promptTokenCount: 400_000,
          candidatesTokenCount: 10,
          thoughtsTokenCount: 5,
          promptTokensDetails: all,
          cacheTokensDetails: all.map((d) => ({ ...d, tokenCount: 1 })),
          candidatesTokensDetails: [
            { modality: "TEXT", tokenCount: 5 },
            { modality: "IMAGE", tokenCount: 5 },
            { modality: "AUDIO", tokenCount: 5 },
          ],
        },
        "gemini-2.5-pro",
      ),
      googleUsageUnits(
        {
          promptTokenCount: 10,
          candidatesTokenCount: 10,
          thoughtsTokenCount: 5,
          promptTokensDetails: all,
          cacheTokensDetails: all.map((d) => ({ ...d, tokenCount: 1 })),
          candidatesTokensDetails: [
            { modality: "IMAGE", tokenCount: 5 },
            { modality: "VIDEO", tokenCount: 5 },
          ],
        },
        "gemini-2.5-flash",
      ),
      converseUsageUnits(
        {
          inputTokens: 300_000,
          outputTokens: 1,
          cacheReadInputTokens: 1,
          cacheWriteInputTokens: 2,
          cacheDetails: [{ ttl: "1h", inputTokens: 1 }],
        },
        "anthropic.claude",
      ),
      converseUsageUnits(
        {
          inputTokens: 3,
          outputTokens: 1,
          cacheReadInputTokens: 1,
          cacheWriteInputTokens: 2,
          cacheDetails: [{ ttl: "1h", inputTokens: 1 }],
        },
        "anthropic.claude",
      ),
      invokeBodyUnits("anthropic", {
        usage: { input_tokens: 1, output_tokens: 1, server_tool_use: { web_search_requests: 1 } },
      }),
      aiSdkUsageUnits(
        { inputTokens: { total: 300_000, cacheRead: 1, cacheWrite: 1 }, outputTokens: { total: 5, reasoning: 2 } },
        "anthropic",
        "claude",
      ),
      genAiSpanCall({
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "c",
        "gen_ai.usage.input_tokens": 300_000,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.cache_read.input_tokens": 1,
        "gen_ai.usage.cache_creation.input_tokens": 1,
        "gen_ai.usage.reasoning.output_tokens": 1,
      })!.units,
    ];
    const guardrails: Units = {};
    converseGuardrailUnits(guardrails, {
      guardrail: {
        inputAssessment: {
          g: {
            invocationMetrics: {
              usage: {
                topicPolicyUnits: 1,
                contentPolicyUnits: 1,
                contentPolicyImageUnits: 1,
                wordPolicyUnits: 1,
                sensitiveInformationPolicyUnits: 1,
                sensitiveInformationPolicyFreeUnits: 1,
                contextualGroundingPolicyUnits: 1,
                automatedReasoningPolicyUnits: 1,
              },
            },
          },
        },
      },
    });
    produced.push(guardrails);
    const kinds = new Set(produced.flatMap((u) => Object.keys(u)));
    expect(kinds.size).toBeGreaterThan(30);
    expect([...kinds].filter((k) => !(UNIT_KINDS as readonly string[]).includes(k))).toEqual([]);
  });
});
