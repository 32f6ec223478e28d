/**
 * The AI SDK's usage (language model specification v3, `ai` 6) as Pay-i's units. Its
 * details split input into not cached, cache reads and cache writes, and output into text
 * and reasoning. Where the provider's own usage is attached (`raw`) and Pay-i prices more
 * from it (Anthropic's 1-hour cache writes and large context, Gemini's modalities, Bedrock's
 * cache TTLs), the provider's own rules are used instead.
 */
import { anthropicUsageUnits } from "./anthropic-units.js";
import { converseUsageUnits } from "./bedrock-usage.js";
import { googleUsageUnits } from "./google-usage.js";
import type { ProviderFamily } from "./provider-category.js";
import { type Units, addUnits, count, field } from "./usage-fields.js";

/** The AI SDK's `LanguageModelV3Usage`, as far as it is read here. */
export interface AiSdkUsage {
  inputTokens?: { total?: number; noCache?: number; cacheRead?: number; cacheWrite?: number };
  outputTokens?: { total?: number; text?: number; reasoning?: number };
  raw?: unknown;
}

export function aiSdkUsageUnits(usage: AiSdkUsage | undefined, family: ProviderFamily, model: string): Units {
  const raw = usage?.raw;
  if (family === "anthropic" && field(raw, "input_tokens") !== undefined) return anthropicUsageUnits(raw);
  if (family === "google" && field(raw, "promptTokenCount") !== undefined) return googleUsageUnits(raw, model);
  if (family === "bedrock" && field(raw, "inputTokens") !== undefined) return converseUsageUnits(raw, model);

  const units: Units = {};
  const total = count(usage?.inputTokens?.total);
  const read = count(usage?.inputTokens?.cacheRead);
  const write = count(usage?.inputTokens?.cacheWrite);
  const noCache = usage?.inputTokens?.noCache != null ? count(usage.inputTokens.noCache) : Math.max(0, total - read - write);
  const outputTotal = count(usage?.outputTokens?.total);
  const reasoning = count(usage?.outputTokens?.reasoning);
  const text = usage?.outputTokens?.text != null ? count(usage.outputTokens.text) : Math.max(0, outputTotal - reasoning);
  const large = family === "anthropic" && noCache + read + write >= 200_000 ? "_large_context" : "";
  addUnits(units, `text${large}`, noCache, text);
  addUnits(units, `text_cache_read${large}`, read);
  addUnits(units, `text_cache_write${large}`, write);
  addUnits(units, "reasoning", 0, reasoning);
  return units;
}
