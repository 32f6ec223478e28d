// Bedrock streams (ConverseStream, InvokeModelWithResponseStream) whose caller stops reading
// without a break: ingested with what was seen once garbage-collected (their connection closed
// then), or at shutdown() if still open.
import v8 from "node:v8";
import vm from "node:vm";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument } from "../../src/instrument/index.js";
import { startFakePayi, type FakePayi } from "./fakes.js";
import { REQUEST_ID, chunkFrame, converseStreamFrames, startBedrockFake, type BedrockFake } from "./fakes/bedrock.js";

let fake: BedrockFake;
let payi: FakePayi;
beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // its notice about Node 20
  fake = await startBedrockFake();
  payi = await startFakePayi();
});
afterAll(async () => {
  await fake.close();
  await payi.close();
});
beforeEach(() => payi.reset());

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const setup = () => {
  const errors: Error[] = [];
  const pi = instrument(new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 }), {
    queue: { flushAt: 1, flushInterval: 10 },
    onError: (e) => errors.push(e),
  });
  const bedrock = pi.bedrock(
    new BedrockRuntimeClient({
      region: "us-east-1",
      endpoint: fake.url,
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
      maxAttempts: 1,
    }),
  );
  return { pi, bedrock, errors };
};

/** Answers with these frames and keeps the stream open; resolves when the client closes it. */
function halfAnswer(frames: Uint8Array[]): Promise<void> {
  return new Promise<void>((closed) =>
    fake.handle((_req, res) => {
      res.stream.on("close", () => closed());
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": REQUEST_ID });
      for (const f of frames) res.write(f);
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

const messages = [{ role: "user" as const, content: [{ text: "hello" }] }];
const usage = { inputTokens: 7, outputTokens: 9, totalTokens: 16 };
const anthropicStart = chunkFrame({
  type: "message_start",
  message: { id: "msg_b1", usage: { input_tokens: 20, output_tokens: 1 } },
});

describe("payi/instrument: Bedrock streams let go unfinished", () => {
  it("a ConverseStream dropped after two events is ingested once collected, and its connection closes", async () => {
    const closed = halfAnswer(converseStreamFrames(["a", "b", "c"], { usage }).slice(0, 3));
    const { bedrock, errors } = setup();
    await (async () => {
      const out = await bedrock.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages }));
      const events = out.stream![Symbol.asyncIterator]();
      await events.next();
      await events.next();
    })();
    await collectUntilIngested(1);
    const [e] = payi.events();
    expect(e).toMatchObject({
      category: "system.aws.bedrock",
      resource: "amazon.nova-lite-v1:0",
      http_status_code: 200,
      provider_response_id: REQUEST_ID,
      units: {},
      properties: { "system.failure": "stream_abandoned" },
    });
    expect(e.time_to_first_token_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.parse((e.provider_response_json as string[])[1])).toMatchObject({ contentBlockDelta: {} });
    await closed;
    expect(errors).toEqual([]);
  });

  it("an InvokeModelWithResponseStream never read is ingested once collected, and its connection closes", async () => {
    const closed = halfAnswer([anthropicStart]);
    const { bedrock, errors } = setup();
    await (async () => {
      const out = await bedrock.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: "anthropic.claude-3-haiku-20240307-v1:0",
          body: JSON.stringify({ messages: [] }),
        }),
      );
      expect(out.body).toBeDefined();
    })();
    await collectUntilIngested(1);
    expect(payi.events()).toMatchObject([
      {
        resource: "anthropic.claude-3-haiku-20240307-v1:0",
        http_status_code: 200,
        properties: { "system.failure": "stream_abandoned" },
      },
    ]);
    await closed;
    expect(errors).toEqual([]);
  });

  it("a stream still open at shutdown() is ingested with what was seen; the caller reads on, with no second event", async () => {
    let finish!: () => void;
    const more = new Promise<void>((r) => (finish = r));
    fake.handle(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": REQUEST_ID });
      res.write(anthropicStart);
      await more;
      res.write(chunkFrame({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } }));
      res.end(
        chunkFrame({
          type: "message_stop",
          "amazon-bedrock-invocationMetrics": { inputTokenCount: 20, outputTokenCount: 15 },
        }),
      );
    });
    const { pi, bedrock, errors } = setup();
    const out = await bedrock.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: "anthropic.claude-3-haiku-20240307-v1:0",
        body: JSON.stringify({ messages: [] }),
      }),
    );
    const events = out.body![Symbol.asyncIterator]();
    await events.next();
    await pi.flush();
    expect(payi.events()).toEqual([]);
    await pi.shutdown();
    expect(payi.events()).toMatchObject([
      {
        resource: "anthropic.claude-3-haiku-20240307-v1:0",
        http_status_code: 200,
        units: { text: { input: 20, output: 1 } },
        properties: { "system.failure": "instrument_shutdown" },
      },
    ]);
    finish();
    let rest = 0;
    for (let r = await events.next(); !r.done; r = await events.next()) rest++;
    expect(rest).toBe(2);
    expect(payi.events()).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
