/** Gemini's wire format for a local fake: generateContent JSON, streamGenerateContent SSE, errors. */
import type http from "node:http";

/** One answer (or streamed chunk) of `text`, with usage when given. */
export function geminiAnswer(text: string, usageMetadata?: object, extra: object = {}): Record<string, unknown> {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }],
    ...(usageMetadata ? { usageMetadata } : {}),
    modelVersion: "gemini-2.5-flash",
    responseId: "resp-gemini-1",
    ...extra,
  };
}

/** Chunks of a stream: text pieces, the last with a finish reason and the final usage. */
export function geminiChunks(pieces: string[], usageMetadata: object): Record<string, unknown>[] {
  return pieces.map((t, i) => {
    const last = i === pieces.length - 1;
    const chunk = geminiAnswer(
      t,
      last ? usageMetadata : { promptTokenCount: (usageMetadata as { promptTokenCount: number }).promptTokenCount },
    );
    if (last) (chunk.candidates as Record<string, unknown>[])[0].finishReason = "STOP";
    return chunk;
  });
}

export async function writeSse(
  res: http.ServerResponse,
  chunks: unknown[],
  opts: { breakAfter?: number } = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const [i, c] of chunks.entries()) {
    if (opts.breakAfter !== undefined && i === opts.breakAfter) {
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
    await new Promise((r) => setImmediate(r));
  }
  res.end();
}

/** Gemini's error body. */
export function geminiError(res: http.ServerResponse, code: number, status: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message, status } }));
}
