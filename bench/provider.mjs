// A stand-in for OpenAI on a keep-alive server in its own process, for the instrumentation
// rows: chat completions as JSON, or streamed (five content chunks, and the usage chunk when
// `stream_options.include_usage` asks for it). Started a second time, it is the Pay-i the
// events go to: it answers ingest.bulk without parsing the batch, so that a stand-in sharing
// the machine's cores does not slow the client being measured. Prints its port on stdout,
// then serves until killed.
import http from "node:http";

const usage = {
  prompt_tokens: 1200,
  completion_tokens: 350,
  total_tokens: 1550,
  prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
};
const base = {
  id: "chatcmpl-bench",
  created: 1_700_000_000,
  model: "gpt-4o-2024-08-06",
  system_fingerprint: "fp_bench",
};
const json = JSON.stringify({
  ...base,
  object: "chat.completion",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Qubits, superposition and entanglement.", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    },
  ],
  usage,
});
const chunk = (choices, extra = {}) =>
  `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`;
const pieces = ["Qubits,", " superposition", " and", " entanglement", "."].map((p) =>
  chunk([{ index: 0, delta: { content: p }, finish_reason: null }]),
);
const head = chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
const tail = chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
const usageChunk = chunk([], { usage });
const bulkAnswer = JSON.stringify({
  ingest_count: 100,
  ingest_timestamp: "2025-02-03T10:00:01Z",
  request_id: "req_bulk",
  error_count: 0,
  errors: [],
  total_count: 100,
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/api/v1/ingest/bulk") {
      res.setHeader("content-type", "application/json");
      return res.end(bulkAnswer);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    if (!body.stream) {
      res.setHeader("content-type", "application/json");
      return res.end(json);
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(head);
    for (const p of pieces) res.write(p);
    res.write(tail);
    if (body.stream_options?.include_usage) res.write(usageChunk);
    res.end("data: [DONE]\n\n");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => process.exit(0));
process.on("disconnect", () => process.exit(0));
