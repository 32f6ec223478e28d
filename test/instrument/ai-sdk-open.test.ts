// AI SDK streams (`pi.aiSdk()` in `wrapLanguageModel`) that are never finished: one its caller
// lets go of is ingested once garbage-collected (the provider's connection closed then), one
// still open at shutdown() then, with what was seen.
import v8 from "node:v8";
import vm from "node:vm";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText, wrapLanguageModel } from "ai";
import { describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import type { TestServer } from "../helpers/server.js";
import { type FakePayi, useFakes } from "./fakes.js";
import { chatChunks } from "./fakes/openai-compatible.js";

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
  const openai = createOpenAICompatible({
    name: "openai",
    baseURL: `${provider.url}/v1`,
    apiKey: "local",
    includeUsage: true,
  });
  const model = wrapLanguageModel({ model: openai.chatModel("gpt-4o-mini"), middleware: pi.aiSdk() });
  return { pi, model, errors };
};

/** Sends these chunks and keeps the answer open until `end` resolves, then sends the rest; resolves when the client closes it. */
function halfAnswer(chunks: object[], end: Promise<void> = new Promise(() => {}), rest: object[] = []): Promise<void> {
  return new Promise<void>((closed) =>
    provider.handle(async (_req, res) => {
      res.on("close", () => closed());
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
      await end;
      for (const c of rest) res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.end("data: [DONE]\n\n");
    }),
  );
}

const prompt = [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }];

describe("payi/instrument: AI SDK streams never finished", () => {
  it("a model stream let go after two parts is ingested once collected, and the provider's connection closes", async () => {
    const closed = halfAnswer(chatChunks(["a", "b", "c", "d"]).slice(0, 3));
    const { model, errors } = setup();
    await (async () => {
      const { stream } = await model.doStream({ prompt });
      const reader = stream.getReader();
      await reader.read();
      await reader.read();
    })();
    await vi.waitFor(
      async () => {
        gc();
        await new Promise((r) => setTimeout(r, 20));
        expect(payi.events()).toHaveLength(1);
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(payi.events()).toMatchObject([
      {
        category: "system.openai",
        resource: "gpt-4o-mini",
        http_status_code: 200,
        properties: { "system.failure": "stream_abandoned" },
      },
    ]);
    await closed;
    expect(errors).toEqual([]);
  });

  it("streamText still running at shutdown() is ingested then with what was seen, and not again at its end", async () => {
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    const chunks = chatChunks(["Hel", "lo"]);
    const closed = halfAnswer(chunks.slice(0, 1), ended, chunks.slice(1));
    const { pi, model, errors } = setup();
    const result = streamText({ model, prompt: "hi", maxRetries: 0 });
    const text = result.textStream[Symbol.asyncIterator]();
    expect((await text.next()).value).toBe("Hel");
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await pi.shutdown();
    const [e] = payi.events();
    expect(e).toMatchObject({
      resource: "gpt-4o-mini",
      http_status_code: 200,
      properties: { "system.failure": "instrument_shutdown" },
    });
    expect(e.time_to_first_token_ms).toBeGreaterThanOrEqual(0);
    end();
    let rest = "";
    for (let r = await text.next(); !r.done; r = await text.next()) rest += r.value;
    expect(rest).toBe("lo");
    await closed;
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
