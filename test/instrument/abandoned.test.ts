// Streams whose caller stops reading without break, abort or cancel: ingested with what was
// seen once garbage-collected (their connection closed then), or at shutdown() if still open.
import v8 from "node:v8";
import vm from "node:vm";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import type { TestServer } from "../helpers/server.js";
import { chatChunks, openaiUsage, sse, type FakePayi, useFakes } from "./fakes.js";
import { geminiChunks } from "./fakes/gemini.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const setup = () => {
  const errors: Error[] = [];
  const pi = instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    queue: { flushAt: 1, flushInterval: 10 },
    onError: (e) => errors.push(e),
  });
  const openai = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
  const anthropic = pi.anthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 0 }));
  return { pi, openai, anthropic, errors };
};

/** A provider that sends these events and then holds the answer open; resolves when the client closes it. */
function halfAnswer(events: Parameters<typeof sse>[1]): Promise<void> {
  return new Promise<void>((closed) =>
    provider.handle(async (_req, res) => {
      res.on("close", () => closed());
      await sse(res, events, { end: false });
    }),
  );
}

/** Collects garbage until Pay-i has `n` events. */
const collectUntilIngested = (n: number) =>
  vi.waitFor(
    async () => {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      expect(payi.events()).toHaveLength(n);
    },
    { timeout: 15_000, interval: 50 },
  );

const messages = [{ role: "user" as const, content: "Hi" }];
const ask = { model: "claude-opus-4-7", max_tokens: 100, messages };

const anthropicStart = (id: string) => [
  {
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model: "claude-opus-4-7",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 40, output_tokens: 1 },
      },
    },
  },
  {
    event: "content_block_start",
    data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  },
  {
    event: "content_block_delta",
    data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
  },
];

describe("payi/instrument: streams let go unfinished", () => {
  it("an OpenAI stream dropped after two chunks is ingested once collected, and its connection closes", async () => {
    const socketClosed = halfAnswer(chatChunks("chatcmpl-gc1", ["a", "b", "c", "d"], openaiUsage(5, 5)).slice(0, 3));
    const { openai, errors } = setup();
    await (async () => {
      const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true });
      const chunks = stream[Symbol.asyncIterator]();
      await chunks.next();
      await chunks.next();
    })();
    await collectUntilIngested(1);
    const [e] = payi.events();
    expect(e).toMatchObject({ provider_response_id: "chatcmpl-gc1", http_status_code: 200, units: {} });
    expect(e.properties?.["system.failure"]).toBe("stream_abandoned");
    expect((e.provider_response_json as string[]).length).toBeGreaterThanOrEqual(2);
    await socketClosed;
    expect(errors).toEqual([]);
  });

  it("an Anthropic stream dropped after its first events is ingested once collected, with the input usage seen", async () => {
    const socketClosed = halfAnswer(anthropicStart("msg_gc1"));
    const { anthropic, errors } = setup();
    await (async () => {
      const stream = await anthropic.messages.create({ ...ask, stream: true });
      const events = stream[Symbol.asyncIterator]();
      await events.next();
    })();
    await collectUntilIngested(1);
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.anthropic",
      provider_response_id: "msg_gc1",
      http_status_code: 200,
      units: { text: { input: 40, output: 1 } },
      properties: { "system.failure": "stream_abandoned" },
    });
    await socketClosed;
    expect(errors).toEqual([]);
  });

  it("an Anthropic answer taken as a raw Response, its body read once and let go, is ingested once collected", async () => {
    const socketClosed = halfAnswer(anthropicStart("msg_gc2"));
    const { anthropic } = setup();
    await (async () => {
      const res = await anthropic.messages.create({ ...ask, stream: true }).asResponse();
      await res.body!.getReader().read();
    })();
    await collectUntilIngested(1);
    expect(payi.events()).toMatchObject([
      { provider_response_id: "msg_gc2", properties: { "system.failure": "stream_abandoned" } },
    ]);
    await socketClosed;
  });

  it("a Gemini stream dropped after its first chunk is ingested once collected", async () => {
    const chunks = geminiChunks(["a", "b", "c"], { promptTokenCount: 9, candidatesTokenCount: 3, totalTokenCount: 12 });
    const socketClosed = halfAnswer(chunks.slice(0, 2));
    const { pi } = setup();
    const gemini = new GoogleGenAI({
      apiKey: "local-key",
      httpOptions: { baseUrl: provider.url, fetch: pi.googleFetch() },
    });
    await (async () => {
      const stream = await gemini.models.generateContentStream({ model: "gemini-2.5-flash", contents: "Hi" });
      await stream.next();
    })();
    await collectUntilIngested(1);
    expect(payi.events()).toMatchObject([
      {
        category: "system.google.vertex",
        resource: "google.gemini-2.5-flash",
        units: { text: { input: 9, output: 0 } },
        properties: { "system.failure": "stream_abandoned" },
      },
    ]);
    await socketClosed;
  });

  it("flush() leaves a stream being read alone; shutdown() ingests it with what was seen, and the caller reads on", async () => {
    let finish!: () => void;
    const more = new Promise<void>((r) => (finish = r));
    const chunks = chatChunks("chatcmpl-sd1", ["a", "b"], openaiUsage(5, 2));
    provider.handle(async (_req, res) => {
      await sse(res, chunks.slice(0, 2), { end: false });
      await more;
      for (const c of chunks.slice(2)) res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.end("data: [DONE]\n\n");
    });
    const { pi, openai, errors } = setup();
    const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    const reader = stream[Symbol.asyncIterator]();
    await reader.next();
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await pi.shutdown();
    const [e] = payi.events();
    expect(e).toMatchObject({ provider_response_id: "chatcmpl-sd1", http_status_code: 200 });
    expect(e.properties?.["system.failure"]).toBe("instrument_shutdown");
    // The caller's stream is not cut, and the call is not reported a second time.
    finish();
    const rest: string[] = [];
    for (let r = await reader.next(); !r.done; r = await reader.next())
      rest.push(r.value.choices[0]?.delta.content ?? "");
    expect(rest.join("")).toBe("ab");
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("an Anthropic stream still open at shutdown() is ingested with the usage seen so far", async () => {
    const socketClosed = halfAnswer(anthropicStart("msg_sd1"));
    const { pi, anthropic } = setup();
    const stream = await anthropic.messages.create({ ...ask, stream: true });
    const events = stream[Symbol.asyncIterator]();
    await events.next();
    await pi.shutdown();
    expect(payi.events()).toMatchObject([
      {
        provider_response_id: "msg_sd1",
        units: { text: { input: 40, output: 1 } },
        properties: { "system.failure": "instrument_shutdown" },
      },
    ]);
    stream.controller.abort();
    await socketClosed;
  });
});
