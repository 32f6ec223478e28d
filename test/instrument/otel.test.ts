/**
 * The GenAI span processor beside an in-memory exporter in OpenTelemetry's own SDK: the
 * events made from spans, and calls both tracked directly and traced counted once.
 */
import { context, trace, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { generateText, streamText, wrapLanguageModel } from "ai";
import { MockLanguageModelV3, convertArrayToReadableStream } from "ai/test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InstrumentCore } from "../../src/instrument/call.js";
import { aiSdkMiddleware } from "../../src/instrument/providers/ai-sdk.js";
import { GenAiSpanProcessor } from "../../src/instrument/providers/otel.js";
import { recordingCore, type RecordingCore } from "./fakes/recording-core.js";

const u = (input: number, output = 0) => ({ input, output });
let exporter: InMemorySpanExporter;
let core: RecordingCore;
let processor: GenAiSpanProcessor;
let tracer: Tracer;
let provider: BasicTracerProvider;
/** The core a direct instrumentation is given, noting its calls to the processor as the instrumentor does. */
let direct: InstrumentCore;

const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  context.disable();
});

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  core = recordingCore({ user_id: "u1" });
  processor = new GenAiSpanProcessor({
    context: () => core.context(),
    report: (c, ctx) => core.report(c, ctx),
    fault: (e) => core.fault(e),
    flush: async () => {},
  });
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), processor] });
  tracer = provider.getTracer("test");
  direct = {
    ...core,
    context: (o) => (processor.noteDirectCall(), core.context(o)),
    report: (call, ctx) => (processor.noteResponseId(call.responseId), core.report(call, ctx)),
  };
});

const usage = {
  inputTokens: { total: 30, noCache: 20, cacheRead: 10, cacheWrite: undefined },
  outputTokens: { total: 12, text: 8, reasoning: 4 },
};
const mockModel = (id = "resp-mock-1") =>
  new MockLanguageModelV3({
    provider: "openai.chat",
    modelId: "gpt-4o-mini",
    doGenerate: async () => ({
      content: [{ type: "text", text: "ok" }],
      finishReason: { unified: "stop", raw: "stop" },
      usage,
      warnings: [],
      response: { id, modelId: "gpt-4o-mini" },
    }),
    doStream: async () => ({
      stream: convertArrayToReadableStream([
        { type: "stream-start", warnings: [] },
        { type: "response-metadata", id, modelId: "gpt-4o-mini" },
        { type: "text-start", id: "0" },
        { type: "text-delta", id: "0", delta: "ok" },
        { type: "text-end", id: "0" },
        { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
      ] as never),
    }),
  });

describe("spans to events", () => {
  it("a span with the conventions' attributes is one call; the exporter beside still gets it", async () => {
    const started = Date.now();
    tracer.startActiveSpan("chat claude-3-5-haiku", (span) => {
      span.setAttributes({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-3-5-haiku",
        "gen_ai.response.id": "msg_otel_1",
        "gen_ai.usage.input_tokens": 1500,
        "gen_ai.usage.output_tokens": 60,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.cache_creation.input_tokens": 400,
        "server.address": "api.anthropic.com",
      });
      span.end();
    });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(core.reports).toHaveLength(1);
    const { call, ctx } = core.reports[0];
    expect(call).toMatchObject({
      provider: "anthropic",
      category: "system.anthropic",
      model: "claude-3-5-haiku",
      status: 200,
      responseId: "msg_otel_1",
      host: "api.anthropic.com",
      units: { text: u(100, 60), text_cache_read: u(1000), text_cache_write: u(400) },
    });
    expect(call.startedAt).toBeGreaterThanOrEqual(started - 1);
    expect(call.endedAt).toBeGreaterThanOrEqual(call.startedAt);
    expect(ctx).toEqual({ user_id: "u1" });
  });

  it("a failed call's span: the error type as the failure", () => {
    const span = tracer.startSpan("chat");
    span.setAttributes({
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 0,
      "error.type": "timeout",
    });
    span.setStatus({ code: 2, message: "timed out" });
    span.end();
    expect(core.reports[0].call).toMatchObject({
      status: undefined,
      failure: "timeout",
      failureDescription: "timed out",
      units: { text: u(10) },
    });
  });

  it("spans that are not GenAI calls are left alone", () => {
    tracer.startSpan("GET /").end();
    const s = tracer.startSpan("ai.generateText");
    s.setAttributes({ "ai.model.provider": "openai.chat", "ai.usage.inputTokens": 3 });
    s.end();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    expect(core.reports).toHaveLength(0);
  });

  it("the AI SDK's telemetry alone: one call per model call, from its doGenerate span", async () => {
    await generateText({ model: mockModel(), prompt: "hi", experimental_telemetry: { isEnabled: true, tracer } });
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(["ai.generateText.doGenerate", "ai.generateText"]);
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({
      category: "system.openai",
      model: "gpt-4o-mini",
      responseId: "resp-mock-1",
      units: { text: u(20, 8), text_cache_read: u(10), reasoning: u(0, 4) },
    });
  });
});

describe("counted once", () => {
  it("the AI SDK middleware and its telemetry together: the middleware's event only (JSON and stream)", async () => {
    const model = wrapLanguageModel({ model: mockModel(), middleware: aiSdkMiddleware(direct) });
    await generateText({ model, prompt: "hi", experimental_telemetry: { isEnabled: true, tracer } });
    const streamed = streamText({
      model: wrapLanguageModel({ model: mockModel("resp-mock-2"), middleware: aiSdkMiddleware(direct) }),
      prompt: "hi",
      experimental_telemetry: { isEnabled: true, tracer },
    });
    await streamed.consumeStream();
    await provider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain("ai.streamText.doStream");
    expect(core.reports.map((r) => r.call.responseId)).toEqual(["resp-mock-1", "resp-mock-2"]);
  });

  it("a direct call inside a library's span (as OpenLLMetry makes them) is not counted again, nor is its parent", async () => {
    await tracer.startActiveSpan("workflow", async (outer) => {
      await tracer.startActiveSpan("chat gpt-4o", async (span) => {
        const ctx = direct.context();
        await new Promise((r) => setTimeout(r, 1));
        direct.report(
          {
            provider: "openai",
            category: "system.openai",
            model: "gpt-4o",
            units: { text: u(5, 5) },
            startedAt: Date.now(),
            endedAt: Date.now(),
          },
          ctx,
        );
        span.setAttributes({
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4o",
          "gen_ai.usage.input_tokens": 5,
          "gen_ai.usage.output_tokens": 5,
        });
        span.end();
      });
      outer.setAttributes({
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 5,
      });
      outer.end();
    });
    expect(core.reports).toHaveLength(1);
  });

  it("a span whose response id a direct call reported is not counted again, whatever span that call was in", () => {
    direct.report(
      {
        provider: "openai",
        category: "system.openai",
        model: "gpt-4o",
        units: {},
        responseId: "chatcmpl-9",
        startedAt: 0,
        endedAt: 0,
      },
      {},
    );
    const span = tracer.startSpan("chat");
    span.setAttributes({
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.response.id": "chatcmpl-9",
      "gen_ai.usage.input_tokens": 1,
    });
    span.end();
    expect(core.reports).toHaveLength(1);
  });

  it("concurrent calls: a traced-only one is counted while a direct one runs in another span", async () => {
    const tracedOnly = tracer.startActiveSpan("chat a", async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      span.setAttributes({
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 1,
      });
      span.end();
    });
    const both = tracer.startActiveSpan("chat b", async (span) => {
      const ctx = direct.context();
      await new Promise((r) => setTimeout(r, 5));
      direct.report(
        {
          provider: "openai",
          category: "system.openai",
          model: "gpt-4o",
          units: { text: u(3, 3) },
          startedAt: 0,
          endedAt: 0,
        },
        ctx,
      );
      span.setAttributes({
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 3,
      });
      span.end();
    });
    await Promise.all([tracedOnly, both]);
    expect(core.reports.map((r) => r.call.units)).toEqual(
      expect.arrayContaining([{ text: u(7, 1) }, { text: u(3, 3) }]),
    );
    expect(core.reports).toHaveLength(2);
  });
});

it("spans never ended are forgotten past a bound: a direct call's span then counts again", () => {
  const small = new GenAiSpanProcessor(
    {
      context: () => core.context(),
      report: (c, ctx) => core.report(c, ctx),
      fault: (e) => core.fault(e),
      flush: async () => {},
    },
    2,
  );
  const t = new BasicTracerProvider({ spanProcessors: [small] }).getTracer("bounded");
  const attrs = { "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1 };
  const first = t.startSpan("chat 1");
  context.with(trace.setSpan(context.active(), first), () => small.noteDirectCall());
  const second = t.startSpan("chat 2");
  context.with(trace.setSpan(context.active(), second), () => small.noteDirectCall());
  t.startSpan("leaked").end(); // no GenAI attributes
  t.startSpan("leaked 2"); // pushes "chat 1" out
  first.setAttributes(attrs);
  first.end();
  second.setAttributes(attrs);
  second.end();
  expect(core.reports.map((r) => r.call.model)).toEqual(["gpt-4o"]);
  expect(core.reports).toHaveLength(1);
});

it("uses the global tracer provider too", () => {
  trace.setGlobalTracerProvider(provider);
  const s = trace.getTracer("g").startSpan("embeddings");
  s.setAttributes({
    "gen_ai.provider.name": "aws.bedrock",
    "gen_ai.request.model": "amazon.titan-embed-text-v2:0",
    "gen_ai.usage.input_tokens": 9,
  });
  s.end();
  expect(core.reports[0].call).toMatchObject({
    category: "system.aws.bedrock",
    model: "amazon.titan-embed-text-v2:0",
    units: { text: u(9) },
  });
  trace.disable();
});
