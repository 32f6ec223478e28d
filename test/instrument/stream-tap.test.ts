// How a streamed answer passes through the instrumented fetch when the provider's chunks do not
// line up with its events: an event left out arriving alone, an event cut across chunks. The
// caller's reads must all be answered, and the call ingested as usual.
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

/** Reads a whole stream, failing (rather than hanging the test) if a read is never answered. */
async function readAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the caller's read was never answered after ${seen.length} chunks`)),
      5_000,
    );
  });
  try {
    await Promise.race([
      (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })(),
      stuck,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

describe("payi/instrument: the stream tap", () => {
  it("the usage chunk it hides, arriving in a network chunk of its own, does not leave the caller's read waiting", async () => {
    // A pause between events: each arrives as its own chunk, the hidden one too.
    provider.handle((_req, res) =>
      sse(res, chatChunks("chatcmpl-t1", ["Hel", "lo"], openaiUsage(12, 7)), { done: true, gapMs: 15 }),
    );
    const { pi, client, errors } = setup();
    const seen = await readAll(await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }));
    expect(seen.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(["", "Hel", "lo", null]);
    expect(seen.every((c) => !c.usage)).toBe(true);
    await pi.flush();
    expect(errors).toEqual([]);
    expect(payi.events()[0]).toMatchObject({
      provider_response_id: "chatcmpl-t1",
      units: { text: { input: 12, output: 7 } },
    });
    expect(payi.events()[0].properties).toBeUndefined();
  });

  it("without stream_options of the caller's, the provider gets the caller's JSON with include_usage added at its end", async () => {
    provider.handle((_req, res) => sse(res, chatChunks("chatcmpl-t3", ["a"], openaiUsage(2, 1)), { done: true }));
    const { pi, client } = setup();
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    await readAll(await client.chat.completions.create({ model: "gpt-4o", messages, tools, stream: true }));
    expect(provider.received[0].body).toBe(
      JSON.stringify({ model: "gpt-4o", messages, tools, stream: true, stream_options: { include_usage: true } }),
    );
    await pi.flush();
    expect(JSON.parse(payi.events()[0].provider_request_json!)).toEqual({
      model: "gpt-4o",
      messages,
      tools,
      stream: true,
    });
  });

  it("events cut across chunks (and a chunk holding no whole event) reach the caller whole", async () => {
    const events = chatChunks("chatcmpl-t2", ["a", "é"], openaiUsage(3, 2));
    const text = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
    const bytes = Buffer.from(text);
    provider.handle(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Cut every 7 bytes (through multi-byte characters too), with pauses so each is a chunk of its own.
      for (let at = 0; at < bytes.length; at += 7) {
        res.write(bytes.subarray(at, at + 7));
        if (at % 70 === 0) await new Promise((r) => setTimeout(r, 2));
      }
      res.end();
    });
    const { pi, client, errors } = setup();
    const seen = await readAll(await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }));
    expect(seen.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(["", "a", "é", null]);
    await pi.flush();
    expect(errors).toEqual([]);
    const [e] = payi.events();
    expect(e).toMatchObject({ provider_response_id: "chatcmpl-t2", units: { text: { input: 3, output: 2 } } });
    // What the caller saw is logged, the hidden usage chunk is not.
    expect((e.provider_response_json as string[]).map((d) => JSON.parse(d).choices.length)).toEqual([1, 1, 1, 1]);
  });
});
