// The real `@anthropic-ai/sdk` client, instrumented, against a local fake Anthropic: messages as
// JSON, streamed with `stream: true` and with the `messages.stream()` helper.
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { sse, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const setup = (options: Parameters<typeof instrument>[1] = {}, maxRetries = 0) => {
  const errors: Error[] = [];
  const pi = instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    onError: (e) => errors.push(e),
    ...options,
  });
  const client = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries }));
  return { pi, client, errors };
};

const message = (
  id: string,
  usage: Record<string, unknown>,
  content: unknown[] = [{ type: "text", text: "Hello" }],
) => ({
  id,
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content,
  stop_reason: "end_turn",
  stop_sequence: null,
  usage,
});

/** A streamed message: start (input usage), a text block, a tool block at index 1, the delta (output usage), stop. */
function streamEvents(
  id: string,
  start: Record<string, unknown>,
  delta: Record<string, unknown>,
  opts: { toolAt?: number } = {},
) {
  const at = opts.toolAt ?? 1;
  const events: unknown[] = [{ type: "message_start", message: { ...message(id, start, []), stop_reason: null } }];
  if (at !== 0)
    events.push(
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
      { type: "content_block_stop", index: 0 },
    );
  events.push(
    {
      type: "content_block_start",
      index: at,
      content_block: { type: "tool_use", id: "tu_1", name: "get_weather", input: {} },
    },
    { type: "content_block_delta", index: at, delta: { type: "input_json_delta", partial_json: '{"city":' } },
    { type: "content_block_delta", index: at, delta: { type: "input_json_delta", partial_json: '"Paris"}' } },
    { type: "content_block_stop", index: at },
    { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: delta },
    { type: "message_stop" },
  );
  return events.map((data) => ({ event: (data as { type: string }).type, data }));
}

const ask = { model: "claude-opus-4-7", max_tokens: 100, messages: [{ role: "user" as const, content: "Hi" }] };

describe("payi/instrument with @anthropic-ai/sdk", () => {
  it("a message: units with cache reads and both cache writes, web searches, tool calls, inference geo as resource scope", async () => {
    const usage = {
      input_tokens: 100,
      output_tokens: 50,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 20,
      cache_creation: { ephemeral_5m_input_tokens: 15, ephemeral_1h_input_tokens: 5 },
      server_tool_use: { web_search_requests: 2 },
      inference_geo: "us",
    };
    provider.handle((_req, res) =>
      json(res, 200, message("msg_1", usage, [{ type: "tool_use", id: "tu", name: "lookup", input: { q: "x" } }]), {
        "request-id": "req_a1",
      }),
    );
    const { pi, client, errors } = setup();
    const m = await client.messages.create(ask);
    expect(m.id).toBe("msg_1");
    await pi.flush();
    expect(errors).toEqual([]);
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.anthropic",
      resource: "claude-opus-4-7",
      provider_response_id: "msg_1",
      http_status_code: 200,
      provider_uri: `${provider.url}/v1/messages`,
      scope: "datazone.us",
      provider_response_function_calls: [{ name: "lookup", arguments: '{"q":"x"}' }],
    });
    expect(e.units).toEqual({
      text: { input: 100, output: 50 },
      text_cache_read: { input: 30, output: 0 },
      text_cache_write: { input: 15, output: 0 },
      text_cache_write_1h: { input: 5, output: 0 },
      web_search_request: { input: 0, output: 2 },
    });
  });

  it("at 200k input tokens and more every text kind is large-context", async () => {
    provider.handle((_req, res) =>
      json(
        res,
        200,
        message("msg_2", {
          input_tokens: 150_000,
          output_tokens: 10,
          cache_read_input_tokens: 40_000,
          cache_creation_input_tokens: 10_000,
        }),
      ),
    );
    const { pi, client } = setup();
    await client.messages.create(ask);
    await pi.flush();
    expect(payi.events()[0].units).toEqual({
      text_large_context: { input: 150_000, output: 10 },
      text_cache_read_large_context: { input: 40_000, output: 0 },
      text_cache_write_large_context: { input: 10_000, output: 0 },
    });
  });

  it("stream: true: input from message_start, output (and a revised input) from message_delta, a tool call at index 0 kept", async () => {
    provider.handle((_req, res) =>
      sse(
        res,
        streamEvents(
          "msg_s1",
          { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5 },
          { output_tokens: 42, input_tokens: 12 },
          { toolAt: 0 },
        ),
      ),
    );
    const { pi, client } = setup();
    const stream = await client.messages.create({ ...ask, stream: true });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types).toHaveLength(7);
    await pi.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      provider_response_id: "msg_s1",
      units: { text: { input: 12, output: 42 }, text_cache_read: { input: 5, output: 0 } },
      provider_response_function_calls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
    });
    expect(e.time_to_first_token_ms).toBeGreaterThanOrEqual(0);
    expect(e.properties).toBeUndefined();
  });

  it("the messages.stream() helper is tracked; abort() midway is ingested with a failure and reaches the provider", async () => {
    provider.handle((_req, res) =>
      sse(res, streamEvents("msg_s2", { input_tokens: 7, output_tokens: 1 }, { output_tokens: 3 })),
    );
    const { pi, client } = setup();
    const final = await client.messages.stream(ask).finalMessage();
    expect(final.usage.output_tokens).toBe(3);

    let closed!: () => void;
    const socketClosed = new Promise<void>((r) => (closed = r));
    provider.handle(async (_req, res) => {
      res.on("close", () => closed());
      await sse(res, streamEvents("msg_s3", { input_tokens: 9, output_tokens: 1 }, { output_tokens: 3 }).slice(0, 3), {
        end: false,
      });
    });
    const stream = client.messages.stream(ask);
    await new Promise<void>((r) => stream.on("text", () => r()));
    stream.abort();
    await expect(stream.finalMessage()).rejects.toThrow();
    await socketClosed;
    await pi.flush();
    const events = payi.events();
    expect(events.map((e) => [e.provider_response_id, e.units.text, e.properties?.["system.failure"]])).toEqual([
      ["msg_s2", { input: 7, output: 3 }, undefined],
      ["msg_s3", { input: 9, output: 1 }, expect.any(String)],
    ]);
  });

  it("an error event midway (overloaded) is ingested with what was seen and the provider's error type", async () => {
    provider.handle((_req, res) =>
      sse(res, [
        ...streamEvents("msg_e", { input_tokens: 20, output_tokens: 1 }, { output_tokens: 2 }).slice(0, 3),
        { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
      ]),
    );
    const { pi, client } = setup();
    await expect(client.messages.stream(ask).finalMessage()).rejects.toThrow(/Overloaded/);
    await pi.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      provider_response_id: "msg_e",
      http_status_code: 200,
      units: { text: { input: 20, output: 1 } },
      properties: { "system.failure": "overloaded_error", "system.failure.description": "Overloaded" },
    });
  });

  it("a 429 then a success is one event; a 500 without retries left is ingested with its status", async () => {
    provider.handle((_req, res, n) =>
      n === 1
        ? json(
            res,
            429,
            { type: "error", error: { type: "rate_limit_error", message: "slow" } },
            { "retry-after-ms": "20" },
          )
        : json(res, 200, message("msg_r", { input_tokens: 1, output_tokens: 1 })),
    );
    const { pi, client } = setup({}, 2);
    await client.messages.create(ask);
    await pi.flush();
    expect(payi.events().map((e) => [e.http_status_code, e.provider_response_id])).toEqual([[200, "msg_r"]]);

    payi.reset();
    provider.handle((_req, res) =>
      json(
        res,
        500,
        { type: "error", error: { type: "api_error", message: "boom" } },
        { "request-id": "req_500", "retry-after-ms": "20" },
      ),
    );
    await expect(client.messages.create(ask)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    await pi.flush();
    expect(provider.received).toHaveLength(3);
    expect(payi.events().map((e) => e.http_status_code)).toEqual([500]);
  });

  it("inline base64 images are replaced in the logged request unless asked for; prompt logging off sends no bodies", async () => {
    provider.handle((_req, res) => json(res, 200, message("msg_i", { input_tokens: 1, output_tokens: 1 })));
    const image = {
      role: "user" as const,
      content: [
        {
          type: "image" as const,
          source: { type: "base64" as const, media_type: "image/png" as const, data: "iVBORw0KGgo=" },
        },
      ],
    };
    const a = setup();
    await a.client.messages.create({ ...ask, messages: [image] });
    await a.pi.flush();
    expect(JSON.parse(payi.events()[0].provider_request_json!).messages[0].content[0].source.data).toBe(
      "<not_instrumented>",
    );
    expect(JSON.parse(provider.received[0].body).messages[0].content[0].source.data).toBe("iVBORw0KGgo=");

    payi.reset();
    const b = setup({ instrumentInlineData: true });
    await b.client.messages.create({ ...ask, messages: [image] });
    await b.pi.flush();
    expect(JSON.parse(payi.events()[0].provider_request_json!).messages[0].content[0].source.data).toBe("iVBORw0KGgo=");

    payi.reset();
    const c = setup({ logPromptAndResponse: false });
    await c.client.messages.create(ask);
    await c.pi.track({ log_prompt_and_response: true }, () => c.client.messages.create(ask));
    await c.pi.flush();
    const [off, on] = payi.events();
    expect(off.provider_request_json).toBeUndefined();
    expect(off.provider_response_json).toBeUndefined();
    expect(on.provider_request_json).toBeDefined();
  });
});
