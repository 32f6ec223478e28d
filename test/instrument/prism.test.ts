// The events the instrumentation sends, checked by the API's mock (Prism refuses with 422 any
// request the spec does not allow): bulk batches through a queue, and direct ingest.units calls.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, track } from "../../src/instrument/index.js";
import { json, startServer, type TestServer } from "../helpers/server.js";
import { chatChunks, chatCompletion, openaiUsage, sse } from "./fakes.js";

let provider: TestServer;
beforeAll(async () => {
  provider = await startServer((req, res) => {
    if (req.url.endsWith("/v1/messages")) {
      return json(res, 200, {
        id: "msg_p",
        type: "message",
        role: "assistant",
        model: "claude-opus-4-7",
        content: [{ type: "tool_use", id: "t", name: "f", input: { a: 1 } }],
        stop_reason: "tool_use",
        stop_sequence: null,
        usage: {
          input_tokens: 10,
          output_tokens: 3,
          cache_creation: { ephemeral_5m_input_tokens: 2, ephemeral_1h_input_tokens: 4 },
          cache_creation_input_tokens: 6,
          inference_geo: "eu",
        },
      });
    }
    const body = JSON.parse(req.body);
    if (body.stream) return sse(res, chatChunks("chatcmpl-ps", ["a", "b"], openaiUsage(5, 2, 1, 1)), { done: true });
    return json(res, 200, chatCompletion("chatcmpl-pj", openaiUsage(9, 4, 2, 1)));
  });
});
afterAll(() => provider.close());

const payi = () =>
  new AsyncPayi({ apiKey: "contract-test-key", baseURL: inject("prismURL"), maxRetries: 0, logLevel: "off" });

async function calls(pi: ReturnType<typeof instrument>) {
  const openai = pi.openai(new OpenAI({ apiKey: "sk", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
  const anthropic = pi.anthropic(new Anthropic({ apiKey: "sk", baseURL: provider.url, maxRetries: 0 }));
  return track(
    {
      use_case_name: "contract",
      use_case_version: 2,
      use_case_step: "one",
      user_id: "u",
      account_name: "acme",
      limit_ids: ["l1"],
      request_properties: { a: "1" },
      use_case_properties: { b: "2" },
    },
    async () => {
      const answer = await openai.chat.completions.create({
        model: "gpt-4o",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
        ],
      });
      for await (const _ of await openai.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }));
      await anthropic.messages.create({
        model: "claude-opus-4-7",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      });
      return answer;
    },
  );
}

describe("payi/instrument against the API's mock", () => {
  it("bulk batches of instrumented events are accepted", async () => {
    const client = payi();
    const failed: unknown[] = [];
    const queue = client.ingest.queue({ onError: (e) => failed.push(e), onEventError: (e) => failed.push(e) });
    const errors: Error[] = [];
    const pi = instrument(client, { queue, onError: (e) => errors.push(e) });
    await calls(pi);
    await pi.flush();
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(queue.stats()).toMatchObject({ accepted: 3, delivered: 3, failed: 0, pending: 0 });
    await queue.shutdown();
  });

  it('"direct" mode: each event is an ingest.units call the mock accepts, and result() gives its xproxy_result', async () => {
    const errors: Error[] = [];
    const pi = instrument(payi(), { mode: "direct", onError: (e) => errors.push(e) });
    const answer = await calls(pi);
    const result = await pi.result(answer);
    expect(typeof result.request_id).toBe("string");
    await pi.shutdown();
    expect(errors).toEqual([]);
  });
});
