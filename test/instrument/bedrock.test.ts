/**
 * `@aws-sdk/client-bedrock-runtime` against a local fake speaking Bedrock's JSON and event
 * stream frames over HTTP/2: what each call reports through the provider contract.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClientConfig,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrumentBedrock } from "../../src/instrument/providers/bedrock.js";
import {
  REQUEST_ID,
  bedrockError,
  bedrockJson,
  chunkFrame,
  converseStreamFrames,
  eventFrame,
  exceptionFrame,
  route,
  startBedrockFake,
  writeFrames,
  type BedrockFake,
} from "./fakes/bedrock.js";
import { recordingCore } from "./fakes/recording-core.js";

let fake: BedrockFake;
beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // its notice about Node 20
  fake = await startBedrockFake();
});
afterAll(() => fake.close());

function client(config: Partial<BedrockRuntimeClientConfig> = {}) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: fake.url,
    credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
    maxAttempts: 1,
    ...config,
  });
}

const messages = [{ role: "user" as const, content: [{ text: "hello" }] }];
const u = (input: number, output = 0) => ({ input, output });

const converseAnswer = (usage: object, extra: object = {}) => ({
  output: { message: { role: "assistant", content: [{ text: "hi" }] } },
  stopReason: "end_turn",
  usage,
  metrics: { latencyMs: 5 },
  ...extra,
});

describe("Converse", () => {
  it("reports text, cache and guardrail units, the request id and the endpoint", async () => {
    const guardrailTrace = {
      guardrail: {
        inputAssessment: { gr1: { invocationMetrics: { usage: { topicPolicyUnits: 1, contentPolicyUnits: 1 } } } },
        outputAssessments: { gr1: [{ invocationMetrics: { usage: { contentPolicyUnits: 2 } } }] },
      },
    };
    fake.handle((_req, res) =>
      bedrockJson(
        res,
        converseAnswer(
          {
            inputTokens: 10,
            outputTokens: 20,
            totalTokens: 330,
            cacheReadInputTokens: 100,
            cacheWriteInputTokens: 200,
          },
          { trace: guardrailTrace },
        ),
      ),
    );
    const core = recordingCore({ user_id: "u1" });
    const c = instrumentBedrock(core, client());
    const before = Date.now();
    const out = await c.send(
      new ConverseCommand({
        modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0",
        messages,
        guardrailConfig: { guardrailIdentifier: "gr1", guardrailVersion: "1" },
      }),
    );
    expect(out.usage?.inputTokens).toBe(10);

    // The trace was turned on for the call, so guardrail usage comes back.
    expect(JSON.parse(fake.received[0].body).guardrailConfig).toEqual({
      guardrailIdentifier: "gr1",
      guardrailVersion: "1",
      trace: "enabled",
    });
    expect(core.reports).toHaveLength(1);
    const { call, ctx } = core.reports[0];
    expect(ctx).toEqual({ user_id: "u1" });
    expect(call).toMatchObject({
      provider: "bedrock",
      category: "system.aws.bedrock",
      model: "us.anthropic.claude-sonnet-4-20250514-v1:0",
      status: 200,
      responseId: REQUEST_ID,
      host: fake.url.replace("http://", ""),
      uri: `${fake.url}/model/${encodeURIComponent("us.anthropic.claude-sonnet-4-20250514-v1:0")}/converse`,
      properties: { "system.aws.bedrock.guardrail.id": "gr1", "system.aws.bedrock.guardrail.version": "1" },
      request: { modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0", messages },
      response: { stopReason: "end_turn", usage: { inputTokens: 10 } },
    });
    expect(call.units).toEqual({
      text: u(10, 20),
      text_cache_read: u(100),
      text_cache_write: u(200),
      guardrail_topic: u(1),
      guardrail_content: u(3),
    });
    expect(call.startedAt).toBeGreaterThanOrEqual(before);
    expect(call.endedAt).toBeGreaterThanOrEqual(call.startedAt);
    expect(call.failure).toBeUndefined();
  });

  it("a guardrail that intervened is a failure property; guardrailTrace: false leaves the input alone", async () => {
    fake.handle((_req, res) =>
      bedrockJson(
        res,
        converseAnswer({ inputTokens: 3, outputTokens: 0, totalTokens: 3 }, { stopReason: "guardrail_intervened" }),
      ),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client(), { guardrailTrace: false });
    await c.send(
      new ConverseCommand({
        modelId: "amazon.nova-pro-v1:0",
        messages,
        guardrailConfig: { guardrailIdentifier: "gr1", guardrailVersion: "2" },
      }),
    );
    expect(JSON.parse(fake.received[0].body).guardrailConfig).toEqual({
      guardrailIdentifier: "gr1",
      guardrailVersion: "2",
    });
    expect(core.reports[0].call.properties).toEqual({
      "system.aws.bedrock.guardrail.id": "gr1",
      "system.aws.bedrock.guardrail.version": "2",
      "system.failure": "guardrail_intervened",
      "system.failure.description": "Bedrock Guardrails intervened",
      "system.aws.bedrock.guardrail.action": "guardrail_intervened",
    });
  });

  it("a provider error is reported with its status and rethrown unchanged", async () => {
    fake.handle((_req, res) => bedrockError(res, 429, "ThrottlingException", "Too many requests"));
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const err = await c.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages })).catch((e) => e);
    expect(err.name).toBe("ThrottlingException");
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({
      status: 429,
      units: {},
      responseId: REQUEST_ID,
      response: { name: "ThrottlingException", message: "Too many requests" },
    });
    expect(core.reports[0].call.failure).toBeUndefined();
  });

  it("the SDK's retries make one event: the final attempt's, timed from the first", async () => {
    fake.handle((_req, res, n) =>
      n === 1
        ? bedrockError(res, 500, "InternalServerException", "boom")
        : bedrockJson(res, converseAnswer({ inputTokens: 1, outputTokens: 2, totalTokens: 3 })),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client({ maxAttempts: 2 }));
    await c.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }));
    expect(fake.received).toHaveLength(2);
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({ status: 200, units: { text: u(1, 2) } });
  });

  it("the caller's abort during the SDK's wait before a retry is reported at once, as no answer", async () => {
    fake.handle((_req, res) => bedrockError(res, 429, "ThrottlingException", "slow down"));
    const core = recordingCore();
    const c = instrumentBedrock(core, client({ maxAttempts: 5 }));
    const controller = new AbortController();
    const failed = c
      .send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }), { abortSignal: controller.signal })
      .catch((e: Error) => e);
    while (fake.received.length < 1) await new Promise((r) => setTimeout(r, 5));
    // Most likely in the SDK's wait (random, up to 1 s), else in the next attempt: either way one report at once.
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    expect(((await failed) as Error).name).toBe("AbortError");
    // Reported by the time the caller has the error: once, without a status.
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({ failure: "AbortError" });
    expect(core.reports[0].call.status).toBeUndefined();
  });

  it("no answer at all: no status, a failure", async () => {
    const core = recordingCore();
    const c = instrumentBedrock(core, client({ endpoint: "http://127.0.0.1:9" }));
    await expect(c.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }))).rejects.toThrow();
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call.status).toBeUndefined();
    expect(core.reports[0].call.failure).toBeTruthy();
  });

  it("only the instance given is instrumented, once however often it is given", async () => {
    fake.handle((_req, res) => bedrockJson(res, converseAnswer({ inputTokens: 1, outputTokens: 1, totalTokens: 2 })));
    const core = recordingCore();
    const c = client();
    expect(instrumentBedrock(core, c)).toBe(c);
    instrumentBedrock(core, c);
    await c.send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }));
    await client().send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }));
    expect(core.reports).toHaveLength(1);
  });

  it("proxy mode: the context travels as xProxy-* headers (signed with the request) and nothing is reported", async () => {
    fake.handle((_req, res) => bedrockJson(res, converseAnswer({ inputTokens: 1, outputTokens: 1, totalTokens: 2 })));
    const core = recordingCore({ proxy: true, user_id: "u-proxy" });
    await instrumentBedrock(core, client()).send(new ConverseCommand({ modelId: "amazon.nova-pro-v1:0", messages }));
    expect(fake.received[0].headers["xproxy-user-id"]).toBe("u-proxy");
    expect(String(fake.received[0].headers.authorization)).toMatch(/SignedHeaders=[^,]*xproxy-user-id/);
    expect(core.reports).toHaveLength(0);
  });

  it("refuses what is not a Bedrock client, naming it", () => {
    expect(() => instrumentBedrock(recordingCore(), {} as never)).toThrow(
      /instrument\.bedrock: client must be a BedrockRuntimeClient/,
    );
    expect(() => instrumentBedrock(recordingCore(), client(), { guardrailTrace: "yes" as never })).toThrow(
      /guardrailTrace must be a boolean/,
    );
  });
});

describe("ConverseStream", () => {
  const usage = { inputTokens: 7, outputTokens: 9, totalTokens: 16, cacheReadInputTokens: 4 };

  it("passes every event on and reports the metadata's usage with time to first token", async () => {
    fake.handle((_req, res) => writeFrames(res, converseStreamFrames(["Hel", "lo"], { usage })));
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
    const seen: string[] = [];
    for await (const e of out.stream!)
      seen.push(Object.keys(e).find((k) => (e as unknown as Record<string, unknown>)[k] !== undefined)!);
    expect(seen).toEqual([
      "messageStart",
      "contentBlockDelta",
      "contentBlockDelta",
      "contentBlockStop",
      "messageStop",
      "metadata",
    ]);
    expect(core.reports).toHaveLength(1);
    const { call } = core.reports[0];
    expect(call).toMatchObject({
      status: 200,
      responseId: REQUEST_ID,
      units: { text: u(7, 9), text_cache_read: u(4) },
    });
    expect(call.failure).toBeUndefined();
    expect(call.firstTokenAt).toBeGreaterThanOrEqual(call.startedAt);
    expect(call.endedAt).toBeGreaterThanOrEqual(call.firstTokenAt!);
    expect(call.response).toHaveLength(6);
  });

  it("a stream broken midway is reported with a failure, and the caller sees the error", async () => {
    fake.handle((_req, res) => writeFrames(res, converseStreamFrames(["a", "b", "c"], { usage }), { breakAfter: 2 }));
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
    let n = 0;
    const err = await (async () => {
      for await (const _ of out.stream!) n++;
    })().catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(n).toBe(2);
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({ status: 200, units: {} });
    expect(core.reports[0].call.failure).toBeTruthy();
  });

  it("an exception frame midway is a failure named by its type", async () => {
    fake.handle((_req, res) =>
      writeFrames(res, [
        eventFrame("messageStart", { role: "assistant" }),
        exceptionFrame("throttlingException", "slow down"),
      ]),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
    await expect(
      (async () => {
        for await (const _ of out.stream!);
      })(),
    ).rejects.toThrow(/slow down/);
    expect(core.reports[0].call).toMatchObject({ failure: "ThrottlingException", failureDescription: "slow down" });
  });

  it("the caller's break ends the stream; it is reported as abandoned", async () => {
    let closed!: Promise<void>;
    fake.handle((_req, res) => {
      closed = new Promise((r) => res.stream.on("close", () => r()));
      return writeFrames(
        res,
        converseStreamFrames(
          Array.from({ length: 50 }, (_, i) => `t${i}`),
          { usage },
        ),
      );
    });
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
    let n = 0;
    for await (const _ of out.stream!) if (++n === 3) break;
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call.failure).toBe("stream_abandoned");
    await closed;
  });
});

describe("InvokeModel", () => {
  it("Anthropic's usage from the body, with its cache writes by TTL", async () => {
    const body = {
      id: "msg_1",
      type: "message",
      content: [{ type: "text", text: "hi" }],
      usage: {
        input_tokens: 12,
        output_tokens: 5,
        cache_read_input_tokens: 30,
        cache_creation_input_tokens: 8,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 8 },
      },
    };
    fake.handle((_req, res) =>
      bedrockJson(res, body, { "x-amzn-bedrock-input-token-count": "12", "x-amzn-bedrock-output-token-count": "5" }),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const request = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 10,
      messages: [{ role: "user", content: "hello" }],
    };
    const out = await c.send(
      new InvokeModelCommand({ modelId: "anthropic.claude-3-5-haiku-20241022-v1:0", body: JSON.stringify(request) }),
    );
    expect(JSON.parse(out.body.transformToString())).toEqual(body); // the caller's body is whole
    expect(core.reports[0].call).toMatchObject({
      status: 200,
      units: { text: u(12, 5), text_cache_read: u(30), text_cache_write_1h: u(8) },
      request: { modelId: "anthropic.claude-3-5-haiku-20241022-v1:0", body: request },
      response: body,
    });
  });

  it("a family whose body has no usage is read from Bedrock's token-count headers", async () => {
    fake.handle((_req, res) =>
      bedrockJson(
        res,
        { outputs: [{ text: "hi", stop_reason: "stop" }] },
        { "x-amzn-bedrock-input-token-count": "14", "x-amzn-bedrock-output-token-count": "3" },
      ),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    await c.send(
      new InvokeModelCommand({ modelId: "mistral.mistral-large-2402-v1:0", body: JSON.stringify({ prompt: "hi" }) }),
    );
    expect(core.reports[0].call.units).toEqual({ text: u(14, 3) });
  });

  it("Llama's counts and an intervening guardrail's units", async () => {
    fake.handle((_req, res) =>
      bedrockJson(res, {
        generation: "",
        prompt_token_count: 9,
        generation_token_count: 0,
        "amazon-bedrock-guardrailAction": "INTERVENED",
        "amazon-bedrock-trace": {
          guardrail: { input: { gr9: { invocationMetrics: { usage: { sensitiveInformationPolicyUnits: 2 } } } } },
        },
      }),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    await c.send(
      new InvokeModelCommand({
        modelId: "meta.llama3-8b-instruct-v1:0",
        body: JSON.stringify({ prompt: "hi" }),
        guardrailIdentifier: "gr9",
        guardrailVersion: "DRAFT",
      }),
    );
    expect(fake.received[0].headers["x-amzn-bedrock-trace"]).toBe("ENABLED");
    expect(core.reports[0].call.units).toEqual({ text: u(9, 0), guardrail_sensitive_information: u(2) });
    expect(core.reports[0].call.properties).toMatchObject({
      "system.failure": "INTERVENED",
      "system.aws.bedrock.guardrail.action": "INTERVENED",
      "system.aws.bedrock.guardrail.id": "gr9",
    });
  });
});

describe("InvokeModelWithResponseStream", () => {
  it("Anthropic's stream events give the units; every chunk reaches the caller", async () => {
    fake.handle((_req, res) =>
      writeFrames(res, [
        chunkFrame({
          type: "message_start",
          message: { id: "msg_2", usage: { input_tokens: 20, output_tokens: 1, cache_read_input_tokens: 5 } },
        }),
        chunkFrame({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } }),
        chunkFrame({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 15 } }),
        chunkFrame({
          type: "message_stop",
          "amazon-bedrock-invocationMetrics": {
            inputTokenCount: 20,
            outputTokenCount: 15,
            invocationLatency: 100,
            firstByteLatency: 10,
          },
        }),
      ]),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0",
        body: JSON.stringify({ messages: [] }),
      }),
    );
    const types: string[] = [];
    for await (const e of out.body!) types.push(JSON.parse(new TextDecoder().decode(e.chunk!.bytes)).type);
    expect(types).toEqual(["message_start", "content_block_delta", "message_delta", "message_stop"]);
    expect(core.reports[0].call).toMatchObject({ status: 200, units: { text: u(20, 15), text_cache_read: u(5) } });
    expect(core.reports[0].call.failure).toBeUndefined();
    expect(core.reports[0].call.response).toHaveLength(4);
  });

  it("other families: the invocation metrics of the last chunk, cache included", async () => {
    fake.handle((_req, res) =>
      writeFrames(res, [
        chunkFrame({ contentBlockDelta: { delta: { text: "hi" } } }),
        chunkFrame({
          metadata: {},
          "amazon-bedrock-invocationMetrics": {
            inputTokenCount: 6,
            outputTokenCount: 2,
            cacheReadInputTokenCount: 40,
            cacheWriteInputTokenCount: 10,
          },
        }),
      ]),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: "amazon.nova-micro-v1:0",
        body: JSON.stringify({ messages: [] }),
      }),
    );
    for await (const _ of out.body!);
    expect(core.reports[0].call.units).toEqual({ text: u(6, 2), text_cache_read: u(40), text_cache_write: u(10) });
  });

  it("a stream cut before its metrics is reported incomplete", async () => {
    fake.handle((_req, res) =>
      writeFrames(
        res,
        [
          chunkFrame({ type: "message_start", message: { usage: { input_tokens: 20 } } }),
          chunkFrame({ type: "ping" }),
          chunkFrame({ type: "ping" }),
        ],
        { breakAfter: 1 },
      ),
    );
    const core = recordingCore();
    const c = instrumentBedrock(core, client());
    const out = await c.send(
      new InvokeModelWithResponseStreamCommand({ modelId: "anthropic.claude-3-haiku-20240307-v1:0", body: "{}" }),
    );
    await (async () => {
      for await (const _ of out.body!);
    })().catch(() => {});
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call.units).toEqual({ text: u(20, 0) });
    expect(core.reports[0].call.failure).toBeTruthy();
  });
});

describe("routes", () => {
  it("the fake answers by operation", () =>
    expect(route({ method: "POST", url: "/model/a.b%3A0/converse", headers: {}, body: "" })).toEqual({
      modelId: "a.b:0",
      op: "converse",
    }));
});
