// Calls the other files do not make: an Azure OpenAI stream, the Responses API's stream()
// helper and image input, Anthropic with per-call xProxy-* headers, in proxy mode and in
// direct mode with result().
import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, track } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatChunks, openaiUsage, sse, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const payiClient = () => new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 });
const messages = [{ role: "user" as const, content: "Hi" }];
const anthropicAsk = { model: "claude-opus-4-7", max_tokens: 10, messages };
const anthropicMessage = (id: string) => ({
  id,
  type: "message",
  role: "assistant",
  model: "claude-opus-4-7",
  content: [{ type: "text", text: "Hello" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 7, output_tokens: 2 },
});
const xproxyHeaders = (h: Record<string, unknown>) => Object.keys(h).filter((k) => k.startsWith("xproxy-"));

const responsesEvents = (id: string) =>
  [
    {
      type: "response.created",
      sequence_number: 0,
      response: { id, object: "response", model: "gpt-4.1", output: [] },
    },
    {
      type: "response.output_item.added",
      sequence_number: 1,
      output_index: 0,
      item: { type: "message", id: "m", role: "assistant", status: "in_progress", content: [] },
    },
    {
      type: "response.content_part.added",
      sequence_number: 2,
      item_id: "m",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    },
    {
      type: "response.output_text.delta",
      sequence_number: 3,
      item_id: "m",
      output_index: 0,
      content_index: 0,
      delta: "Hi",
    },
    {
      type: "response.completed",
      sequence_number: 4,
      response: {
        id,
        object: "response",
        model: "gpt-4.1",
        status: "completed",
        output: [],
        usage: {
          input_tokens: 20,
          output_tokens: 4,
          total_tokens: 24,
          input_tokens_details: { cached_tokens: 5 },
          output_tokens_details: { reasoning_tokens: 1 },
        },
      },
    },
  ].map((data) => ({ event: data.type, data }));

describe("payi/instrument: more calls", () => {
  it("an Azure OpenAI stream: system.azureopenai, the deployment as resource, usage asked for and hidden", async () => {
    provider.handle((_req, res) => sse(res, chatChunks("chatcmpl-az-s", ["Hi"], openaiUsage(6, 2)), { done: true }));
    const pi = instrument(payiClient());
    const client = pi.openai(
      new AzureOpenAI({
        apiKey: "az-key",
        endpoint: provider.url,
        apiVersion: "2024-10-21",
        deployment: "my-gpt4o",
        maxRetries: 0,
      }),
    );
    const seen: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of await client.chat.completions.create({ model: "", messages, stream: true })) seen.push(c);
    expect(seen.some((c) => c.usage)).toBe(false);
    expect(JSON.parse(provider.received[0].body).stream_options).toEqual({ include_usage: true });
    await pi.flush();
    expect(payi.events()).toMatchObject([
      {
        category: "system.azureopenai",
        resource: "my-gpt4o",
        provider_response_id: "chatcmpl-az-s",
        units: { text: { input: 6, output: 2 } },
      },
    ]);
    expect(payi.events()[0].properties).toBeUndefined();
  });

  it("the Responses API: the stream() helper is tracked, and a data: image in its input is replaced in the log only", async () => {
    provider.handle((_req, res) => sse(res, responsesEvents("resp_h1")));
    const pi = instrument(payiClient());
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    const image = "data:image/png;base64,iVBORw0KGgo=";
    const input = [
      {
        role: "user" as const,
        content: [
          { type: "input_text" as const, text: "what is it?" },
          { type: "input_image" as const, image_url: image, detail: "auto" as const },
        ],
      },
    ];
    const final = await client.responses.stream({ model: "gpt-4.1", input }).finalResponse();
    expect(final.id).toBe("resp_h1");
    expect(JSON.parse(provider.received[0].body).input[0].content[1].image_url).toBe(image);
    await pi.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      resource: "gpt-4.1",
      provider_response_id: "resp_h1",
      units: {
        text: { input: 15, output: 3 },
        text_cache_read: { input: 5, output: 0 },
        reasoning: { input: 0, output: 1 },
      },
    });
    expect(JSON.parse(e.provider_request_json!).input[0].content[1].image_url).toBe("<not_instrumented>");
  });

  it("Anthropic, ingest mode: per-call xProxy-* headers beat the scope and never reach the provider, JSON and streamed", async () => {
    provider.handle((req, res) =>
      JSON.parse(req.body).stream
        ? sse(res, [
            {
              event: "message_start",
              data: { type: "message_start", message: { ...anthropicMessage("msg_h2"), stop_reason: null } },
            },
            {
              event: "message_delta",
              data: { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } },
            },
            { event: "message_stop", data: { type: "message_stop" } },
          ])
        : json(res, 200, anthropicMessage("msg_h1")),
    );
    const pi = instrument(payiClient());
    const client = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 0 }));
    const headers = { "xProxy-User-ID": "u2", "xProxy-Limit-IDs": "call-limit" };
    await track({ user_id: "u1", use_case_name: "qa" }, async () => {
      await client.messages.create(anthropicAsk, { headers });
      for await (const _e of await client.messages.create({ ...anthropicAsk, stream: true }, { headers }));
    });
    expect(provider.received.flatMap((r) => xproxyHeaders(r.headers))).toEqual([]);
    await pi.flush();
    expect(payi.events()).toMatchObject([
      { provider_response_id: "msg_h1", user_id: "u2", limit_ids: ["call-limit"], use_case_name: "qa" },
      { provider_response_id: "msg_h2", user_id: "u2", limit_ids: ["call-limit"], use_case_name: "qa" },
    ]);
  });

  it("Anthropic, proxy mode: the context travels as xProxy-* headers and nothing is ingested", async () => {
    provider.handle((_req, res) =>
      json(res, 200, { ...anthropicMessage("msg_p1"), xproxy_result: { request_id: "p1" } }),
    );
    const pi = instrument(payiClient(), { proxy: true });
    const client = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 0 }));
    const answer = await track({ use_case_name: "qa", user_id: "u1" }, () => client.messages.create(anthropicAsk));
    expect(provider.received[0].headers).toMatchObject({ "xproxy-usecase-name": "qa", "xproxy-user-id": "u1" });
    expect(await pi.result(answer)).toEqual({ request_id: "p1" });
    await pi.flush();
    expect(payi.received).toEqual([]);
  });

  it("Anthropic, direct mode: result() gives the message's xproxy_result", async () => {
    provider.handle((_req, res) => json(res, 200, anthropicMessage("msg_d1")));
    const pi = instrument(payiClient(), { mode: "direct" });
    const client = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 0 }));
    const answer = await client.messages.create(anthropicAsk);
    expect(await pi.result(answer)).toMatchObject({ request_id: "req_msg_d1", cost: { total: { total: 0.003 } } });
    expect(JSON.parse(payi.units()[0].body)).toMatchObject({
      category: "system.anthropic",
      provider_response_id: "msg_d1",
    });
  });
});
