/**
 * Units as Pay-i prices them, and how each provider's `usage` object becomes them.
 *
 * OpenAI (chat completions, embeddings, Responses API): cached input tokens are
 * `text_cache_read` and reasoning tokens are `reasoning`; both are taken out of `text`, so the
 * kinds add up to the provider's totals. Anthropic: `input_tokens` excludes cache reads and
 * writes already; cache writes are `text_cache_write` (5 minutes) and `text_cache_write_1h`;
 * when the whole input (plain, read and written) reaches 200k tokens every text kind takes the
 * `_large_context` suffix, which Pay-i prices apart; server-side web searches are counted as
 * `web_search_request` units.
 */

/** Every unit kind the instrumentation reports; a typo such as `"txt"` does not compile. */
export const UNIT_KINDS = [
  "text",
  "text_cache_read",
  "text_cache_write",
  "text_cache_write_1h",
  "reasoning",
  "text_large_context",
  "text_cache_read_large_context",
  "text_cache_write_large_context",
  "text_cache_write_1h_large_context",
  "web_search_request",
  "vision",
  "vision_large_context",
  "vision_cache_read",
  "audio",
  "audio_cache_read",
  "video",
  "video_cache_read",
  // Gemini: generated images, modalities past gemini-2.5-pro's 200k prompt tokens.
  "image",
  "image_large_context",
  "reasoning_large_context",
  "vision_cache_read_large_context",
  "audio_large_context",
  "audio_cache_read_large_context",
  "video_large_context",
  "video_cache_read_large_context",
  // AWS Bedrock Guardrails, by policy.
  "guardrail_topic",
  "guardrail_content",
  "guardrail_content_image",
  "guardrail_word_free",
  "guardrail_sensitive_information",
  "guardrail_sensitive_information_free",
  "guardrail_contextual_grounding",
  "guardrail_automated_reasoning",
] as const;

export type UnitKind = (typeof UNIT_KINDS)[number];

export interface UnitCount {
  input: number;
  output: number;
}

/** Units by kind, as `ingest.units` takes them. */
export type Units = Partial<Record<UnitKind, UnitCount>>;

/** Anthropic's threshold, in input tokens, for its large-context prices. */
export const LARGE_CONTEXT_TOKENS = 200_000;

type Json = Record<string, unknown> | null | undefined;

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * Units from an OpenAI `usage` object: chat completions and embeddings (`prompt_tokens`,
 * `completion_tokens`, `*_tokens_details`) or the Responses API (`input_tokens`,
 * `output_tokens`, `*_tokens_details`).
 */
function openai(usage: Json): Units {
  const u = obj(usage) ?? {};
  const responses = "input_tokens" in u || "output_tokens" in u;
  const input = num(responses ? u.input_tokens : u.prompt_tokens);
  const output = num(responses ? u.output_tokens : u.completion_tokens);
  const cached = Math.min(input, num(obj(responses ? u.input_tokens_details : u.prompt_tokens_details)?.cached_tokens));
  const reasoning = Math.min(
    output,
    num(obj(responses ? u.output_tokens_details : u.completion_tokens_details)?.reasoning_tokens),
  );
  const units: Units = { text: { input: input - cached, output: output - reasoning } };
  if (cached) units.text_cache_read = { input: cached, output: 0 };
  if (reasoning) units.reasoning = { input: 0, output: reasoning };
  return units;
}

/**
 * Units from an Anthropic `usage` object (a message's, or a stream's `message_start` usage
 * merged with its `message_delta` usage).
 */
function anthropic(usage: Json): Units {
  const u = obj(usage) ?? {};
  const input = num(u.input_tokens);
  const read = num(u.cache_read_input_tokens);
  const written = num(u.cache_creation_input_tokens);
  const large = input + read + written >= LARGE_CONTEXT_TOKENS ? "_large_context" : "";
  const units: Record<string, UnitCount> = { [`text${large}`]: { input, output: num(u.output_tokens) } };
  const creation = obj(u.cache_creation);
  const fiveMinutes = num(creation?.ephemeral_5m_input_tokens);
  const oneHour = num(creation?.ephemeral_1h_input_tokens);
  if (fiveMinutes || oneHour) {
    if (fiveMinutes) units[`text_cache_write${large}`] = { input: fiveMinutes, output: 0 };
    if (oneHour) units[`text_cache_write_1h${large}`] = { input: oneHour, output: 0 };
  } else if (written) {
    units[`text_cache_write${large}`] = { input: written, output: 0 };
  }
  if (read) units[`text_cache_read${large}`] = { input: read, output: 0 };
  const searches = num(obj(u.server_tool_use)?.web_search_requests);
  if (searches) units.web_search_request = { input: 0, output: searches };
  return units as Units;
}

/** For manual tracking: a provider's `usage` object as Pay-i units. */
export const unitsFrom = { openai, anthropic };
