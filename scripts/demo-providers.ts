/**
 * A stand-in for OpenAI and Anthropic on 127.0.0.1, for the demo's instrumentation step: chat
 * completions (JSON and streamed, usage with cached and reasoning tokens) and messages.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const usage = {
  prompt_tokens: 120,
  completion_tokens: 48,
  total_tokens: 168,
  prompt_tokens_details: { cached_tokens: 64 },
  completion_tokens_details: { reasoning_tokens: 16 },
};

function answer(req: http.IncomingMessage, body: Record<string, any>, res: http.ServerResponse): void {
  const n = Math.floor(Math.random() * 1e6);
  if (req.url?.endsWith("/v1/messages")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `msg_demo_${n}`,
        type: "message",
        role: "assistant",
        model: body.model,
        content: [{ type: "text", text: "Paris." }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: {
          input_tokens: 40,
          output_tokens: 5,
          cache_read_input_tokens: 1200,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 300 },
          cache_creation_input_tokens: 300,
        },
      }),
    );
    return;
  }
  const base = { id: `chatcmpl-demo-${n}`, created: Math.floor(Date.now() / 1000), model: `${body.model}-2024-08-06` };
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        ...base,
        object: "chat.completion",
        choices: [
          { index: 0, message: { role: "assistant", content: "Paris." }, finish_reason: "stop", logprobs: null },
        ],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = (choices: unknown[], extra = {}) =>
    res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
  for (const piece of ["Par", "is", "."]) chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
  if (body.stream_options?.include_usage) chunk([], { usage });
  res.end("data: [DONE]\n\n");
}

export async function startDemoProviders(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => answer(req, JSON.parse(text || "{}"), res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}
