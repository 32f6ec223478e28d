// The fixture table of usage to units: each provider usage object, through `unitsFrom` and through
// the real client against the fake provider, gives exactly these units.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, unitsFrom, type Units } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatCompletion, type FakePayi, useFakes } from "./fakes.js";

interface Case {
  name: string;
  usage: Record<string, unknown>;
  units: Units;
}

const openaiChat: Case[] = [
  {
    name: "plain",
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    units: { text: { input: 10, output: 5 } },
  },
  {
    name: "zero details",
    usage: {
      prompt_tokens: 10,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    units: { text: { input: 10, output: 5 } },
  },
  {
    name: "cached and reasoning",
    usage: {
      prompt_tokens: 1000,
      completion_tokens: 300,
      prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 100 },
    },
    units: {
      text: { input: 800, output: 200 },
      text_cache_read: { input: 200, output: 0 },
      reasoning: { input: 0, output: 100 },
    },
  },
  {
    name: "all cached",
    usage: { prompt_tokens: 64, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 64 } },
    units: { text: { input: 0, output: 1 }, text_cache_read: { input: 64, output: 0 } },
  },
  {
    name: "null details",
    usage: { prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: null, completion_tokens_details: null },
    units: { text: { input: 3, output: 2 } },
  },
];

const openaiResponses: Case[] = [
  {
    name: "responses",
    usage: {
      input_tokens: 50,
      output_tokens: 40,
      total_tokens: 90,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens_details: { reasoning_tokens: 30 },
    },
    units: {
      text: { input: 40, output: 10 },
      text_cache_read: { input: 10, output: 0 },
      reasoning: { input: 0, output: 30 },
    },
  },
];

const anthropic: Case[] = [
  { name: "plain", usage: { input_tokens: 12, output_tokens: 7 }, units: { text: { input: 12, output: 7 } } },
  {
    name: "cache read",
    usage: { input_tokens: 12, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    units: { text: { input: 12, output: 7 }, text_cache_read: { input: 100, output: 0 } },
  },
  {
    name: "cache write without breakdown (5 minutes)",
    usage: { input_tokens: 12, output_tokens: 7, cache_creation_input_tokens: 40 },
    units: { text: { input: 12, output: 7 }, text_cache_write: { input: 40, output: 0 } },
  },
  {
    name: "cache writes, 5 minutes and 1 hour",
    usage: {
      input_tokens: 12,
      output_tokens: 7,
      cache_creation_input_tokens: 40,
      cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 30 },
    },
    units: {
      text: { input: 12, output: 7 },
      text_cache_write: { input: 10, output: 0 },
      text_cache_write_1h: { input: 30, output: 0 },
    },
  },
  {
    name: "large context at exactly 200k, counting cache reads and writes",
    usage: {
      input_tokens: 100_000,
      output_tokens: 9,
      cache_read_input_tokens: 60_000,
      cache_creation_input_tokens: 40_000,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 40_000 },
    },
    units: {
      text_large_context: { input: 100_000, output: 9 },
      text_cache_read_large_context: { input: 60_000, output: 0 },
      text_cache_write_1h_large_context: { input: 40_000, output: 0 },
    },
  },
  {
    name: "one token under large context",
    usage: { input_tokens: 199_999, output_tokens: 1 },
    units: { text: { input: 199_999, output: 1 } },
  },
  {
    name: "web search",
    usage: { input_tokens: 5, output_tokens: 5, server_tool_use: { web_search_requests: 3 } },
    units: { text: { input: 5, output: 5 }, web_search_request: { input: 0, output: 3 } },
  },
];

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

async function eventUnits(call: () => Promise<unknown>, pi: ReturnType<typeof instrument>) {
  payi.reset();
  await call();
  await pi.flush();
  const events = payi.events();
  expect(events).toHaveLength(1);
  return events[0].units;
}

describe("usage to units", () => {
  const pi = () =>
    instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }));

  it.each(openaiChat)("OpenAI chat: $name", async ({ usage, units }) => {
    expect(unitsFrom.openai(usage)).toEqual(units);
    const p = pi();
    const client = p.openai(new OpenAI({ apiKey: "sk", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    provider.handle((_req, res) => json(res, 200, chatCompletion("c", usage)));
    expect(
      await eventUnits(
        () => client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
        p,
      ),
    ).toEqual(units);
  });

  it.each(openaiResponses)("OpenAI Responses API: $name", async ({ usage, units }) => {
    expect(unitsFrom.openai(usage)).toEqual(units);
    const p = pi();
    const client = p.openai(new OpenAI({ apiKey: "sk", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    provider.handle((_req, res) =>
      json(res, 200, { id: "r", object: "response", model: "o4-mini", output: [], usage }),
    );
    expect(await eventUnits(() => client.responses.create({ model: "o4-mini", input: "x" }), p)).toEqual(units);
  });

  it.each(anthropic)("Anthropic: $name", async ({ usage, units }) => {
    expect(unitsFrom.anthropic(usage)).toEqual(units);
    const p = pi();
    const client = p.anthropic(new Anthropic({ apiKey: "sk", baseURL: provider.url, maxRetries: 0 }));
    provider.handle((_req, res) =>
      json(res, 200, {
        id: "m",
        type: "message",
        role: "assistant",
        model: "claude-opus-4-7",
        content: [],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      }),
    );
    expect(
      await eventUnits(
        () =>
          client.messages.create({
            model: "claude-opus-4-7",
            max_tokens: 10,
            messages: [{ role: "user", content: "x" }],
          }),
        p,
      ),
    ).toEqual(units);
  });

  it("no usage, or garbage in it, gives zero text rather than a throw", () => {
    expect(unitsFrom.openai(undefined)).toEqual({ text: { input: 0, output: 0 } });
    expect(unitsFrom.openai({ prompt_tokens: "5", completion_tokens: -1 })).toEqual({ text: { input: 0, output: 0 } });
    expect(unitsFrom.anthropic(null)).toEqual({ text: { input: 0, output: 0 } });
  });
});
