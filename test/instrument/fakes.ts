// Local stand-ins for the providers (OpenAI's and Anthropic's wire formats, JSON and SSE) and a
// recording Pay-i, for the instrumentation tests. Only loopback addresses are used.
import type http from "node:http";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { BulkIngestRequest } from "../../src/index.js";
import { json, startServer, type Received, type TestServer } from "../helpers/server.js";

/** Writes each event as SSE (`data: <json>`, or `event:` + `data:` when named), then ends unless told not to. */
export async function sse(
  res: http.ServerResponse,
  events: (unknown | { event: string; data: unknown })[],
  opts: { done?: boolean; end?: boolean; gapMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...opts.headers });
  for (const e of events) {
    const named =
      e && typeof e === "object" && "event" in e && "data" in e ? (e as { event: string; data: unknown }) : undefined;
    res.write(
      named ? `event: ${named.event}\ndata: ${JSON.stringify(named.data)}\n\n` : `data: ${JSON.stringify(e)}\n\n`,
    );
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  if (opts.done) res.write("data: [DONE]\n\n");
  if (opts.end !== false) res.end();
}

export const openaiUsage = (prompt: number, completion: number, cached = 0, reasoning = 0) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0 },
});

export const chatCompletion = (
  id: string,
  usage: unknown,
  model = "gpt-4o-2024-08-06",
  message: unknown = { role: "assistant", content: "Hello!" },
) => ({
  id,
  object: "chat.completion",
  created: 1_700_000_000,
  model,
  choices: [{ index: 0, message, finish_reason: "stop", logprobs: null }],
  usage,
});

/** A chat stream's chunks: role, some content pieces, finish, and the usage chunk (choices: []). */
export function chatChunks(id: string, pieces: string[], usage: unknown, model = "gpt-4o-2024-08-06") {
  const base = { id, object: "chat.completion.chunk", created: 1_700_000_000, model };
  return [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
    ...pieces.map((p) => ({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    { ...base, choices: [], usage },
  ];
}

export interface FakePayi extends TestServer {
  /** The events received, bulk and single, in order of arrival. */
  events(): BulkIngestRequest[];
  /** Single `ingest.units` calls as received: headers and body. */
  units(): Received[];
  /** Forgets what was received. */
  reset(): void;
}

/** A Pay-i that accepts every event and records it. */
export async function startFakePayi(): Promise<FakePayi> {
  const server = await startServer();
  const answer: Parameters<TestServer["handle"]>[0] = (req, res) => {
    if (req.url.startsWith("/api/v1/ingest/bulk")) {
      const events = JSON.parse(req.body) as unknown[];
      return json(res, 200, {
        ingest_count: events.length,
        ingest_timestamp: new Date().toISOString(),
        request_id: `bulk_${Date.now()}`,
        error_count: 0,
        errors: [],
      });
    }
    if (req.url.startsWith("/api/v1/ingest")) {
      const body = JSON.parse(req.body) as { provider_response_id?: string };
      return json(res, 200, {
        event_timestamp: new Date().toISOString(),
        ingest_timestamp: new Date().toISOString(),
        request_id: `req_${body.provider_response_id}`,
        xproxy_result: {
          request_id: `req_${body.provider_response_id}`,
          cost: { currency: "usd", total: { input: 0.001, output: 0.002, total: 0.003 } },
        },
      });
    }
    json(res, 404, { message: "not found", statusCode: 404 });
  };
  server.handle(answer);
  const handle = server.handle;
  return Object.assign(server, {
    handle: (h: Parameters<TestServer["handle"]>[0]) => handle(h),
    reset: () => handle(answer),
    events: () =>
      server.received.flatMap((r) => {
        if (r.url.startsWith("/api/v1/ingest/bulk")) return JSON.parse(r.body) as BulkIngestRequest[];
        if (r.url.startsWith("/api/v1/ingest")) return [JSON.parse(r.body) as BulkIngestRequest];
        return [];
      }),
    units: () =>
      server.received.filter((r) => r.url.startsWith("/api/v1/ingest") && !r.url.startsWith("/api/v1/ingest/bulk")),
  }) as FakePayi;
}

/**
 * A local provider and a recording Pay-i for one test file: started before its tests, closed after
 * them, and Pay-i's record cleared before each test. `use` receives both once they are up.
 */
export function useFakes(use: (fakes: { provider: TestServer; payi: FakePayi }) => void): void {
  let fakes: { provider: TestServer; payi: FakePayi } | undefined;
  beforeAll(async () => {
    fakes = { provider: await startServer(), payi: await startFakePayi() };
    use(fakes);
  });
  afterAll(async () => {
    await fakes?.provider.close();
    await fakes?.payi.close();
  });
  beforeEach(() => fakes?.payi.reset());
}
