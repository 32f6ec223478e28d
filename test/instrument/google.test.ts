/** `@google/genai` against a local fake speaking Gemini's JSON and SSE: what each call reports. */
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { googleFetch } from "../../src/instrument/providers/google.js";
import { startServer, type TestServer } from "../helpers/server.js";
import { recordingCore } from "./fakes/recording-core.js";
import { geminiAnswer, geminiChunks, geminiError, writeSse } from "./fakes/gemini.js";

let fake: TestServer;
beforeAll(async () => {
  fake = await startServer();
});
afterAll(() => fake.close());

const u = (input: number, output = 0) => ({ input, output });
const ai = (core: ReturnType<typeof recordingCore>) =>
  new GoogleGenAI({ apiKey: "local-key", httpOptions: { baseUrl: fake.url, fetch: googleFetch(core) } });

const usage = {
  promptTokenCount: 1290,
  candidatesTokenCount: 12,
  thoughtsTokenCount: 30,
  cachedContentTokenCount: 1000,
  totalTokenCount: 1332,
  promptTokensDetails: [
    { modality: "TEXT", tokenCount: 1032 },
    { modality: "IMAGE", tokenCount: 258 },
  ],
  cacheTokensDetails: [{ modality: "TEXT", tokenCount: 1000 }],
  candidatesTokensDetails: [{ modality: "TEXT", tokenCount: 12 }],
};
const units = { text: u(32, 12), vision: u(258), text_cache_read: u(1000), reasoning: u(0, 30) };

describe("generateContent", () => {
  it("reports per-modality, cached and thinking units, the answer's id and model", async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          geminiAnswer("hi", usage, {
            candidates: [
              {
                content: {
                  role: "model",
                  parts: [{ text: "hi" }, { functionCall: { name: "lookup", args: { q: 1 } } }],
                },
                finishReason: "STOP",
              },
            ],
          }),
        ),
      );
    });
    const core = recordingCore();
    const out = await ai(core).models.generateContent({
      model: "gemini-2.5-flash",
      contents: [
        { role: "user", parts: [{ text: "hello" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] },
      ],
    });
    expect(out.text).toBe("hi");
    expect(fake.received[0].url).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    // Reported just after the caller has the answer, off its path.
    await core.reported();
    expect(core.reports).toHaveLength(1);
    const { call } = core.reports[0];
    expect(call).toMatchObject({
      provider: "google",
      category: "system.google.vertex",
      model: "google.gemini-2.5-flash",
      status: 200,
      responseId: "resp-gemini-1",
      units,
      functionCalls: [{ name: "lookup", arguments: '{"q":1}' }],
    });
    expect(call.uri).toBe(`${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`);
    // The inline image is replaced in what is logged, not in what was sent.
    expect(call.redact!.request!(structuredClone(call.request))).toMatchObject({
      contents: [{ parts: [{ text: "hello" }, { inlineData: { data: "<not_instrumented>" } }] }],
    });
    expect(JSON.parse(fake.received[0].body).contents[0].parts[1].inlineData.data).toBe("iVBORw0KGgo=");
  });

  it("a provider error is reported with its status and the SDK still throws it", async () => {
    fake.handle((_req, res) => geminiError(res, 429, "RESOURCE_EXHAUSTED", "quota"));
    const core = recordingCore();
    await expect(ai(core).models.generateContent({ model: "gemini-2.5-flash", contents: "hi" })).rejects.toThrow(
      /quota/,
    );
    await core.reported();
    expect(core.reports).toHaveLength(1);
    expect(core.reports[0].call).toMatchObject({
      status: 429,
      units: {},
      response: { error: { code: 429, status: "RESOURCE_EXHAUSTED" } },
    });
  });
});

describe("generateContentStream", () => {
  it("every chunk reaches the caller; the last usage is the call's", async () => {
    fake.handle((_req, res) => writeSse(res, geminiChunks(["Hel", "lo", "!"], usage)));
    const core = recordingCore();
    const stream = await ai(core).models.generateContentStream({ model: "gemini-2.5-flash", contents: "hello" });
    let text = "";
    for await (const c of stream) text += c.text;
    expect(text).toBe("Hello!");
    expect(fake.received[0].url).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    await core.reported();
    const { call } = core.reports[0];
    expect(call).toMatchObject({ status: 200, units, responseId: "resp-gemini-1", model: "google.gemini-2.5-flash" });
    expect(call.failure).toBeUndefined();
    expect(call.firstTokenAt).toBeGreaterThanOrEqual(call.startedAt);
    expect(call.responseText).toHaveLength(3);
  });

  it("a stream broken midway is reported with what was seen and a failure", async () => {
    fake.handle((_req, res) => writeSse(res, geminiChunks(["a", "b", "c"], usage), { breakAfter: 2 }));
    const core = recordingCore();
    const stream = await ai(core).models.generateContentStream({ model: "gemini-2.5-flash", contents: "hello" });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow();
    await core.reported();
    expect(core.reports[0].call.units).toEqual({ text: u(1290) });
    expect(core.reports[0].call.failure).toBeTruthy();
  });
});

it("Vertex AI (express mode): the publisher model path is tracked the same way", async () => {
  fake.handle((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        geminiAnswer("hi", { promptTokenCount: 4, candidatesTokenCount: 2 }, { modelVersion: "gemini-2.5-pro" }),
      ),
    );
  });
  const core = recordingCore();
  const vertex = new GoogleGenAI({
    vertexai: true,
    apiKey: "local-key",
    httpOptions: { baseUrl: fake.url, fetch: googleFetch(core) },
  });
  await vertex.models.generateContent({ model: "gemini-2.5-pro", contents: "hi" });
  expect(fake.received[0].url).toMatch(/\/publishers\/google\/models\/gemini-2\.5-pro:generateContent$/);
  await core.reported();
  expect(core.reports[0].call).toMatchObject({
    category: "system.google.vertex",
    model: "google.gemini-2.5-pro",
    units: { text: u(4, 2) },
  });
});

it("other calls pass through unreported", async () => {
  fake.handle((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ totalTokens: 5 }));
  });
  const core = recordingCore();
  expect((await ai(core).models.countTokens({ model: "gemini-2.5-flash", contents: "hi" })).totalTokens).toBe(5);
  // Tracked calls are reported just after the caller has the answer: past that point, none was.
  await new Promise((r) => setImmediate(r));
  expect(core.reports).toHaveLength(0);
});
