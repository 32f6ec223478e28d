// JSON answers whose body the caller never reads (the raw Response of `.asResponse()`):
// ingested with what is known (status, latency, request) once garbage-collected, or at
// flush()/shutdown() if still unread, and only once, however the body is read afterwards.
import v8 from "node:v8";
import vm from "node:vm";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage, type FakePayi, useFakes } from "./fakes.js";

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
const anthropicMessage = (id: string) => ({
  id,
  type: "message",
  role: "assistant",
  model: "claude-opus-4-7",
  content: [{ type: "text", text: "Hello" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 8, output_tokens: 3 },
});
const UNREAD = "response_unread";

describe("payi/instrument: JSON answers never read", () => {
  it("an OpenAI answer taken with asResponse() and let go unread is ingested once collected", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-u1", openaiUsage(4, 2))));
    const { openai, errors } = setup();
    await (async () => {
      const res = await openai.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
      expect(res.status).toBe(200);
    })();
    await collectUntilIngested(1);
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.openai",
      resource: "gpt-4o",
      http_status_code: 200,
      units: {},
      properties: { "system.failure": UNREAD },
    });
    expect(JSON.parse(e.provider_request_json as string)).toMatchObject({ model: "gpt-4o", messages });
    expect(e.end_to_end_latency_ms).toBeGreaterThanOrEqual(0);
    expect(errors).toEqual([]);
  });

  it("still unread at flush(): ingested then; the body read afterwards is whole, and no second event", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-u2", openaiUsage(4, 2))));
    const { pi, openai, errors } = setup();
    const res = await openai.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
    await pi.flush();
    expect(payi.events()).toMatchObject([
      { resource: "gpt-4o", http_status_code: 200, units: {}, properties: { "system.failure": UNREAD } },
    ]);
    expect(((await res.json()) as { id: string }).id).toBe("chatcmpl-u2");
    await pi.flush();
    await pi.shutdown();
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("an answer read before flush() is ingested with its usage, not as unread", async () => {
    provider.handle((_req, res) => json(res, 200, chatCompletion("chatcmpl-u3", openaiUsage(4, 2))));
    const { pi, openai } = setup();
    const res = await openai.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
    await res.text();
    await pi.flush();
    expect(payi.events()).toMatchObject([
      { provider_response_id: "chatcmpl-u3", units: { text: { input: 4, output: 2 } } },
    ]);
    expect(payi.events()[0].properties?.["system.failure"]).toBeUndefined();
  });

  it("an Anthropic answer taken with asResponse() and let go unread is ingested once collected", async () => {
    provider.handle((_req, res) => json(res, 200, anthropicMessage("msg_u0")));
    const { anthropic, errors } = setup();
    await (async () => {
      const res = await anthropic.messages.create({ model: "claude-opus-4-7", max_tokens: 10, messages }).asResponse();
      expect(res.status).toBe(200);
    })();
    await collectUntilIngested(1);
    expect(payi.events()).toMatchObject([
      { category: "system.anthropic", http_status_code: 200, properties: { "system.failure": UNREAD } },
    ]);
    expect(errors).toEqual([]);
  });

  it("an Anthropic answer still unread at shutdown() is ingested then, once", async () => {
    provider.handle((_req, res) => json(res, 200, anthropicMessage("msg_u1")));
    const { pi, anthropic, errors } = setup();
    const res = await anthropic.messages.create({ model: "claude-opus-4-7", max_tokens: 10, messages }).asResponse();
    await pi.shutdown();
    expect(payi.events()).toMatchObject([
      {
        category: "system.anthropic",
        resource: "claude-opus-4-7",
        http_status_code: 200,
        properties: { "system.failure": UNREAD },
      },
    ]);
    expect(((await res.json()) as { id: string }).id).toBe("msg_u1");
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
