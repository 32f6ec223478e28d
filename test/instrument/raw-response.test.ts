// A tracked answer taken raw (`asResponse()`) behaves as the provider's own: its body can be
// checked for a lock, cloned and read from either copy, and the call is reported once, with
// its usage. (Anthropic's middleware checks `body.locked` and clones; so may a user's code.)
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatChunks, chatCompletion, type FakePayi, openaiUsage, sse, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

const tracked = () => {
  const pi = instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }));
  return { pi, client: pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 })) };
};
const messages = [{ role: "user" as const, content: "hi" }];

describe("payi/instrument: an answer taken raw", () => {
  it("JSON: body.locked is false, a clone and the answer read the same text, one event", async () => {
    const answer = chatCompletion("chatcmpl-raw", openaiUsage(7, 3));
    provider.handle((_req, res) => json(res, 200, answer));
    const { pi, client } = tracked();
    const res = await client.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
    expect(res.bodyUsed).toBe(false);
    expect(res.body?.locked).toBe(false);
    const copy = res.clone();
    expect(copy.status).toBe(200);
    expect(copy.headers.get("content-type")).toContain("application/json");
    expect(copy.url).toBe(res.url);
    expect(await copy.json()).toEqual(answer);
    expect(await res.json()).toEqual(answer);
    await pi.flush();
    expect(payi.events()).toHaveLength(1);
    expect(payi.events()[0]).toMatchObject({
      provider_response_id: "chatcmpl-raw",
      units: { text: { input: 7, output: 3 } },
    });
    await pi.shutdown();
  });

  it("a stream: cloned before it is read, both copies get every chunk; the usage chunk we asked for stays hidden; one event", async () => {
    provider.handle((_req, res) =>
      sse(res, chatChunks("chatcmpl-rawsse", ["Hel", "lo"], openaiUsage(5, 2)), { done: true }),
    );
    const { pi, client } = tracked();
    const res = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }).asResponse();
    expect(res.body?.locked).toBe(false);
    const copy = res.clone();
    const [a, b] = await Promise.all([copy.text(), res.text()]);
    expect(a).toBe(b);
    expect(a).toContain('"content":"Hel"');
    expect(a).toContain("[DONE]");
    expect(a).not.toContain('"usage"');
    await pi.flush();
    expect(payi.events()).toHaveLength(1);
    expect(payi.events()[0]).toMatchObject({
      provider_response_id: "chatcmpl-rawsse",
      units: { text: { input: 5, output: 2 } },
    });
    await pi.shutdown();
  });
});
