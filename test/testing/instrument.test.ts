// payi/testing with payi/instrument: the events an instrumented OpenAI client causes reach the
// fake, in the default (queued, bulk) mode and in direct mode, and can be asserted on.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, track } from "../../src/instrument/index.js";
import { createMockPayi } from "../../src/testing/index.js";
import { json, startServer, type TestServer } from "../helpers/server.js";
import { chatCompletion, openaiUsage } from "../instrument/fakes.js";

let provider: TestServer;
beforeAll(async () => {
  provider = await startServer((_req, res) => json(res, 200, chatCompletion("chatcmpl-m1", openaiUsage(12, 5))));
});
afterAll(() => provider.close());

const messages = [{ role: "user" as const, content: "Hi" }];

describe("payi/instrument against payi/testing", () => {
  it.each(["ingest", "direct"] as const)("an OpenAI call's event, with its context, in %s mode", async (mode) => {
    const mock = createMockPayi();
    const pi = instrument(new AsyncPayi({ apiKey: "test", fetch: mock.fetch, logLevel: "off" }), {
      mode,
      context: { limit_ids: ["monthly-budget"] },
    });
    const openai = pi.openai(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    await track({ user_id: "u42", use_case_name: "support-chat" }, () =>
      openai.chat.completions.create({ model: "gpt-4o", messages }),
    );
    await pi.shutdown();
    expect(mock.events).toEqual([
      expect.objectContaining({
        category: "system.openai",
        units: { text: { input: 12, output: 5 } },
        user_id: "u42",
        use_case_name: "support-chat",
        limit_ids: ["monthly-budget"],
        provider_response_id: "chatcmpl-m1",
      }),
    ]);
    expect(mock.requests.map((r) => [r.operation, r.answer])).toEqual([
      [mode === "direct" ? "ingest.units" : "ingest.bulk", 200],
    ]);
  });
});
