// Streamed OpenAI calls through an instrumented client: usage asked for without the caller
// seeing it, the caller's own stream_options kept, and streams that end early still ingested.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import type { TestServer } from "../helpers/server.js";
import { chatChunks, openaiUsage, sse, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const setup = () => {
  const errors: Error[] = [];
  const pi = instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    onError: (e) => errors.push(e),
  });
  const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
  return { pi, client, errors };
};
const messages = [{ role: "user" as const, content: "Hi" }];

describe("payi/instrument with openai: streams", () => {
  it("asks for usage when the caller did not, and hides the extra usage chunk from them", async () => {
    provider.handle((_req, res) =>
      sse(res, chatChunks("chatcmpl-s1", ["Hel", "lo"], openaiUsage(12, 7, 4, 2)), { done: true }),
    );
    const { pi, client, errors } = setup();
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages,
      stream: true,
      stream_options: { include_obfuscation: false },
    });
    const seen: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen.map((c) => c.choices.length)).toEqual([1, 1, 1, 1]);
    expect(seen.every((c) => !c.usage)).toBe(true);
    expect(JSON.parse(provider.received[0].body).stream_options).toEqual({
      include_obfuscation: false,
      include_usage: true,
    });
    await pi.flush();
    expect(errors).toEqual([]);
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.openai",
      resource: "gpt-4o",
      provider_response_id: "chatcmpl-s1",
      http_status_code: 200,
      units: {
        text: { input: 8, output: 5 },
        text_cache_read: { input: 4, output: 0 },
        reasoning: { input: 0, output: 2 },
      },
    });
    expect(e.time_to_first_token_ms).toBeGreaterThanOrEqual(0);
    expect(e.time_to_first_token_ms).toBeLessThanOrEqual(e.end_to_end_latency_ms!);
    // What the caller sent is what is logged; the chunks the caller saw are the ones logged.
    expect(JSON.parse(e.provider_request_json!).stream_options).toEqual({ include_obfuscation: false });
    expect((e.provider_response_json as string[]).length).toBe(4);
    expect(e.properties?.["system.failure"]).toBeUndefined();
  });

  it("leaves a caller's include_usage alone, and they get their usage chunk", async () => {
    provider.handle((_req, res) => sse(res, chatChunks("chatcmpl-s2", ["Hi"], openaiUsage(3, 2)), { done: true }));
    const { pi, client } = setup();
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const seen: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen.at(-1)?.usage?.prompt_tokens).toBe(3);
    expect(provider.received[0].body).toBe(
      JSON.stringify({ model: "gpt-4o", messages, stream: true, stream_options: { include_usage: true } }),
    );
    await pi.flush();
    expect(payi.events()[0].units).toEqual({ text: { input: 3, output: 2 } });
  });

  it("a caller's break reaches the provider (its socket closes) and the stream is ingested with what was seen", async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((r) => (closed = r));
    provider.handle(async (_req, res) => {
      res.on("close", () => closed());
      const chunks = chatChunks("chatcmpl-s3", ["a", "b", "c", "d", "e"], openaiUsage(5, 5));
      await sse(res, chunks.slice(0, 4), { end: false });
      // The rest never comes: only the client going away ends this answer.
    });
    const { pi, client } = setup();
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let n = 0;
    for await (const _chunk of stream) if (++n === 3) break;
    await socketClosed;
    await pi.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({
      http_status_code: 200,
      provider_response_id: "chatcmpl-s3",
      units: {},
      properties: { "system.failure": "stream_abandoned" },
    });
    expect((e.provider_response_json as string[]).length).toBeGreaterThanOrEqual(3);
  });

  it("a provider that drops the connection midway: the caller gets the SDK's error, the call is ingested with a failure", async () => {
    provider.handle(async (_req, res) => {
      await sse(res, chatChunks("chatcmpl-s4", ["a", "b", "c"], openaiUsage(5, 5)).slice(0, 2), { end: false });
      res.socket?.destroy();
    });
    const { pi, client } = setup();
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    const read = async () => {
      for await (const _chunk of stream);
    };
    await expect(read()).rejects.toThrow();
    await pi.flush();
    const [e] = payi.events();
    expect(e).toMatchObject({ http_status_code: 200, provider_response_id: "chatcmpl-s4" });
    expect(e.properties?.["system.failure"]).toBeTruthy();
  });

  it("a stream that ends without its usage is ingested as incomplete", async () => {
    provider.handle((_req, res) => sse(res, chatChunks("chatcmpl-s5", ["a"], openaiUsage(1, 1)).slice(0, 2)));
    const { pi, client } = setup();
    for await (const _chunk of await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }));
    await pi.flush();
    expect(payi.events()[0].properties).toMatchObject({ "system.failure": "stream_incomplete" });
  });

  it("the Responses API stream: usage from response.completed, every event passed on", async () => {
    const events = [
      {
        type: "response.created",
        sequence_number: 0,
        response: { id: "resp_s1", object: "response", model: "gpt-4.1", status: "in_progress", output: [] },
      },
      {
        type: "response.output_text.delta",
        sequence_number: 1,
        item_id: "m1",
        output_index: 0,
        content_index: 0,
        delta: "Hi",
      },
      {
        type: "response.completed",
        sequence_number: 2,
        response: {
          id: "resp_s1",
          object: "response",
          model: "gpt-4.1",
          status: "completed",
          output: [],
          usage: {
            input_tokens: 9,
            output_tokens: 4,
            total_tokens: 13,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens_details: { reasoning_tokens: 0 },
          },
        },
      },
    ].map((data) => ({ event: data.type, data }));
    provider.handle((_req, res) => sse(res, events));
    const { pi, client } = setup();
    const seen: string[] = [];
    for await (const e of await client.responses.create({ model: "gpt-4.1", input: "hi", stream: true }))
      seen.push(e.type);
    expect(seen).toEqual(["response.created", "response.output_text.delta", "response.completed"]);
    await pi.flush();
    expect(payi.events()[0]).toMatchObject({
      resource: "gpt-4.1",
      provider_response_id: "resp_s1",
      units: { text: { input: 9, output: 4 } },
    });
    expect(payi.events()[0].properties).toBeUndefined();
  });

  it("chat.completions.stream() and parse() are tracked too", async () => {
    provider.handle((req, res) => {
      const body = JSON.parse(req.body);
      if (body.stream) return sse(res, chatChunks("chatcmpl-s6", ["{}"], openaiUsage(2, 2)), { done: true });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-p1",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: '{"a":1}', refusal: null },
              finish_reason: "stop",
              logprobs: null,
            },
          ],
          usage: openaiUsage(6, 3),
        }),
      );
    });
    const { pi, client } = setup();
    const parsed = await client.chat.completions.parse({
      model: "gpt-4o",
      messages,
      response_format: { type: "json_object" },
    });
    expect(parsed.choices[0].message.content).toBe('{"a":1}');
    const runner = client.chat.completions.stream({ model: "gpt-4o", messages });
    await runner.finalChatCompletion();
    await pi.flush();
    expect(payi.events().map((e) => [e.provider_response_id, e.units.text])).toEqual([
      ["chatcmpl-p1", { input: 6, output: 3 }],
      ["chatcmpl-s6", { input: 2, output: 2 }],
    ]);
  });
});
