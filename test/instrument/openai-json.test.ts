// The real `openai` client, instrumented, against a local fake OpenAI: one event per user call,
// exactly as Pay-i should receive it, delivered to a recording fake Pay-i.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, track, type Instrumentor } from "../../src/instrument/index.js";
import { json, startServer, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const payiClient = () => new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 });
const openai = (opts: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0, ...opts });

async function flushed(pi: Instrumentor) {
  await pi.flush();
  return payi.events();
}

describe("payi/instrument with openai: JSON answers", () => {
  it("a chat completion becomes one event: units from usage (cache read and reasoning taken out of text), resource, timing, status, ids, bodies", async () => {
    provider.handle((_req, res) =>
      json(res, 200, chatCompletion("chatcmpl-1", openaiUsage(1000, 300, 200, 100)), { "x-request-id": "req_1" }),
    );
    const errors: Error[] = [];
    const pi = instrument(payiClient(), { onError: (e) => errors.push(e) });
    const client = pi.openai(openai());
    const before = Date.now();
    const answer = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(answer.choices[0].message.content).toBe("Hello!");
    const events = await flushed(pi);
    expect(errors).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e).toMatchObject({
      category: "system.openai",
      resource: "gpt-4o",
      units: {
        text: { input: 800, output: 200 },
        text_cache_read: { input: 200, output: 0 },
        reasoning: { input: 0, output: 100 },
      },
      http_status_code: 200,
      provider_response_id: "chatcmpl-1",
      provider_uri: `${provider.url}/v1/chat/completions`,
    });
    expect(Object.keys(e.units)).toHaveLength(3);
    expect(Date.parse(String(e.event_timestamp))).toBeGreaterThanOrEqual(before - 1);
    expect(e.end_to_end_latency_ms).toBeGreaterThanOrEqual(0);
    expect(e.time_to_first_token_ms).toBeUndefined();
    expect(JSON.parse(e.provider_request_json!)).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(JSON.parse(e.provider_response_json as string)).toMatchObject({ id: "chatcmpl-1" });
  });

  it("embeddings and the Responses API are tracked; other endpoints are not", async () => {
    provider.handle((req, res) => {
      if (req.url.endsWith("/embeddings"))
        return json(res, 200, {
          object: "list",
          data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
          model: "text-embedding-3-small",
          usage: { prompt_tokens: 8, total_tokens: 8 },
        });
      if (req.url.endsWith("/responses"))
        return json(res, 200, {
          id: "resp_1",
          object: "response",
          model: "o4-mini",
          output: [
            {
              type: "function_call",
              name: "lookup",
              arguments: '{"q":1}',
              call_id: "c1",
              id: "fc_1",
              status: "completed",
            },
          ],
          usage: {
            input_tokens: 50,
            output_tokens: 40,
            total_tokens: 90,
            input_tokens_details: { cached_tokens: 10 },
            output_tokens_details: { reasoning_tokens: 30 },
          },
        });
      return json(res, 200, {
        object: "list",
        data: [{ id: "gpt-4o", object: "model", created: 1, owned_by: "openai" }],
      });
    });
    const pi = instrument(payiClient());
    const client = pi.openai(openai());
    await client.embeddings.create({ model: "text-embedding-3-small", input: "hello" });
    await client.responses.create({ model: "o4-mini", input: "hello" });
    await client.models.list();
    const events = await flushed(pi);
    expect(events.map((e) => [e.resource, e.units])).toEqual([
      ["text-embedding-3-small", { text: { input: 8, output: 0 } }],
      [
        "o4-mini",
        {
          text: { input: 40, output: 10 },
          text_cache_read: { input: 10, output: 0 },
          reasoning: { input: 0, output: 30 },
        },
      ],
    ]);
    expect(events[1]).toMatchObject({
      provider_response_id: "resp_1",
      provider_response_function_calls: [{ name: "lookup", arguments: '{"q":1}' }],
    });
  });

  it("a 429 then a success is one event, the final attempt's, timed from the first", async () => {
    provider.handle((_req, res, n) =>
      n === 1
        ? json(res, 429, { error: { message: "slow down", type: "rate_limit" } }, { "retry-after-ms": "50" })
        : json(res, 200, chatCompletion("chatcmpl-2", openaiUsage(10, 5))),
    );
    const pi = instrument(payiClient());
    const client = pi.openai(openai({ maxRetries: 2 }));
    await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
    expect(provider.received).toHaveLength(2);
    const events = await flushed(pi);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      http_status_code: 200,
      provider_response_id: "chatcmpl-2",
      units: { text: { input: 10, output: 5 } },
    });
    expect(events[0].end_to_end_latency_ms).toBeGreaterThanOrEqual(50);
  });

  it("a failed call is ingested with the provider's status and its error body; the caller gets the SDK's error", async () => {
    provider.handle((_req, res) =>
      json(res, 500, { error: { message: "boom", type: "server_error" } }, { "retry-after-ms": "20" }),
    );
    const pi = instrument(payiClient());
    const client = pi.openai(openai({ maxRetries: 1 }));
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect(provider.received).toHaveLength(2);
    const events = await flushed(pi);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ http_status_code: 500, resource: "gpt-4o", units: {} });
    expect(JSON.parse(events[0].provider_response_json as string)).toEqual({
      error: { message: "boom", type: "server_error" },
    });
  });

  it("a call that never got an answer is status 299 with a system.failure property", async () => {
    const closed = await startServer();
    const url = closed.url;
    await closed.close();
    const pi = instrument(payiClient());
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${url}/v1`, maxRetries: 0 }));
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const events = await flushed(pi);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      http_status_code: 299,
      resource: "gpt-4o",
      properties: { "system.failure": "TypeError" },
    });
  });

  it("context from track() and per-call xProxy-* headers; those headers never reach the provider", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-3", openaiUsage(1, 1))));
    const pi = instrument(payiClient(), {
      context: { limit_ids: ["root-limit"], request_properties: { app: "demo" } },
    });
    const client = pi.openai(openai());
    const ask = (headers?: Record<string, string>) =>
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }, { headers });
    await track({ use_case_name: "support", user_id: "u1", limit_ids: ["l2"] }, async () => {
      await ask();
      await ask({ "xProxy-User-ID": "u2", "xProxy-Limit-IDs": "", "xProxy-Request-Properties": '{"x":"1"}' });
    });
    expect(provider.received.every((r) => Object.keys(r.headers).every((h) => !h.startsWith("xproxy-")))).toBe(true);
    const events = await flushed(pi);
    expect(events[0]).toMatchObject({
      use_case_name: "support",
      user_id: "u1",
      limit_ids: ["root-limit", "l2"],
      properties: { app: "demo" },
    });
    expect(events[0].use_case_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1]).toMatchObject({
      use_case_name: "support",
      use_case_id: events[0].use_case_id,
      user_id: "u2",
      properties: { x: "1" },
    });
    expect(events[1].limit_ids).toBeUndefined();
  });

  it(".withResponse() and .asResponse() keep working, and the answer is tracked however its body is read", async () => {
    provider.handle((_req, res) =>
      json(res, 200, chatCompletion(`chatcmpl-r${provider.received.length}`, openaiUsage(2, 1))),
    );
    const pi = instrument(payiClient());
    const client = pi.openai(openai());
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
    const { data, response } = await ask().withResponse();
    expect(data.id).toBe("chatcmpl-r1");
    expect(response.status).toBe(200);
    expect(((await (await ask().asResponse()).json()) as { id: string }).id).toBe("chatcmpl-r2");
    const raw = await ask().asResponse();
    let text = "";
    for await (const chunk of raw.body as unknown as AsyncIterable<Uint8Array>) text += new TextDecoder().decode(chunk);
    expect(JSON.parse(text).id).toBe("chatcmpl-r3");
    expect(Buffer.from(await (await ask().asResponse()).arrayBuffer()).toString()).toContain("chatcmpl-r4");
    const events = await flushed(pi);
    expect(events.map((e) => [e.provider_response_id, e.units.text])).toEqual(
      [1, 2, 3, 4].map((n) => [`chatcmpl-r${n}`, { input: 2, output: 1 }]),
    );
  });

  it("inline base64 images are replaced in the logged request, never in what the provider gets", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-img", openaiUsage(300, 2))));
    const pi = instrument(payiClient());
    const client = pi.openai(openai());
    const image = "data:image/png;base64,iVBORw0KGgo=";
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is it?" },
            { type: "image_url", image_url: { url: image } },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });
    expect(JSON.parse(provider.received[0].body).messages[0].content[1].image_url.url).toBe(image);
    const [e] = await flushed(pi);
    expect(
      JSON.parse(e.provider_request_json!).messages[0].content.map(
        (p: { image_url?: { url: string } }) => p.image_url?.url,
      ),
    ).toEqual([undefined, "<not_instrumented>", "https://example.com/cat.png"]);
  });

  it("the original client is untouched and not tracked", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-4", openaiUsage(1, 1))));
    const original = openai();
    const fetchBefore = (original as unknown as { fetch: unknown }).fetch;
    const pi = instrument(payiClient());
    const client = pi.openai(original);
    expect(client).toBeInstanceOf(OpenAI);
    expect(client).not.toBe(original);
    expect((original as unknown as { fetch: unknown }).fetch).toBe(fetchBefore);
    await original.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
    expect(await flushed(pi)).toEqual([]);
    expect(() => pi.openai(client)).toThrow(/instrumented already/);
  });
});
