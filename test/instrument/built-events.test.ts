// Events the instrumentation builds go to its queue without the check a user's event gets at
// enqueue(), unless a count taken from the provider is not a whole number: then the queue's
// check refuses it, and that is reported to onError, never to the provider call.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { json, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage, type FakePayi, useFakes } from "./fakes.js";

let provider: TestServer;
let payi: FakePayi;
useFakes((fakes) => {
  ({ provider, payi } = fakes);
});

describe("payi/instrument: events it builds", () => {
  it("one Pay-i's check refuses (a provider's fractional token count) is reported to onError; the call is unaffected", async () => {
    provider.handle((req, res) => {
      const n = JSON.parse(req.body).messages[0].content === "odd" ? 2.5 : 2;
      json(res, 200, chatCompletion(`chatcmpl-${n}`, openaiUsage(n, 1)));
    });
    const errors: Error[] = [];
    const pi = instrument(
      new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }),
      {
        onError: (e) => errors.push(e),
      },
    );
    const client = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    const odd = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "odd" }] });
    await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "even" }] });
    expect(odd.usage?.prompt_tokens).toBe(2.5);
    await pi.flush();
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/units\.text\.input/)]);
    expect(payi.events().map((e) => e.provider_response_id)).toEqual(["chatcmpl-2"]);
    await pi.shutdown();
  });
});
