/** An OpenAI-compatible chat completions wire format for a local fake: JSON and SSE chunks with usage. */
import type http from "node:http";

export const chatUsage = {
  prompt_tokens: 120,
  completion_tokens: 40,
  total_tokens: 160,
  prompt_tokens_details: { cached_tokens: 100 },
  completion_tokens_details: { reasoning_tokens: 15 },
};

export function chatCompletion(text: string, usage: object = chatUsage): object {
  return {
    id: "chatcmpl-local-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4o-mini-2024-07-18",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage,
  };
}

export function chatChunks(pieces: string[], usage: object = chatUsage): object[] {
  const base = {
    id: "chatcmpl-local-2",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-mini-2024-07-18",
  };
  return [
    ...pieces.map((t, i) => ({
      ...base,
      choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content: t } : { content: t }, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    { ...base, choices: [], usage },
  ];
}

export async function writeChatSse(
  res: http.ServerResponse,
  chunks: object[],
  opts: { breakAfter?: number } = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const [i, c] of chunks.entries()) {
    if (opts.breakAfter !== undefined && i === opts.breakAfter) {
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify(c)}\n\n`);
    await new Promise((r) => setImmediate(r));
  }
  res.end("data: [DONE]\n\n");
}
