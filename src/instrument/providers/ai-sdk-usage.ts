/**
 * The AI SDK's usage as Pay-i's units, for both language model specifications that run on
 * Node 20: v3 (`ai` 6), whose details split input into not cached, cache reads and cache
 * writes and output into text and reasoning, and v2 (`ai` 5), whose flat counts mean what each
 * provider made them mean. Where the provider's own usage is attached (v3's `raw`, or the
 * provider metadata's usage) and Pay-i prices more from it (Anthropic's 1-hour cache writes
 * and large context, Gemini's modalities, Bedrock's cache TTLs), that provider's rules are
 * used instead.
 */
import { anthropicUsageUnits } from "./anthropic-units.js";
import { converseUsageUnits } from "./bedrock-usage.js";
import { googleUsageUnits } from "./google-usage.js";
import type { ProviderFamily } from "./provider-category.js";
import { type Units, addUnits, count, field } from "./usage-fields.js";

/** `LanguageModelV3Usage` (nested counts) or `LanguageModelV2Usage` (flat), as far as they are read here. */
export interface AiSdkUsage {
  inputTokens?: number | { total?: number; noCache?: number; cacheRead?: number; cacheWrite?: number };
  outputTokens?: number | { total?: number; text?: number; reasoning?: number };
  reasoningTokens?: number;
  cachedInputTokens?: number;
  raw?: unknown;
}

/** The provider's own usage, where the AI SDK passes it on, by that provider's rules. */
function providerOwn(
  usage: AiSdkUsage | undefined,
  family: ProviderFamily,
  model: string,
  metadata: unknown,
): Units | undefined {
  const raw = usage?.raw;
  if (family === "anthropic") {
    const own = field(raw, "input_tokens") !== undefined ? raw : field(metadata, "anthropic", "usage");
    if (field(own, "input_tokens") !== undefined) return anthropicUsageUnits(own);
  }
  if (family === "google") {
    const own = field(raw, "promptTokenCount") !== undefined ? raw : field(metadata, "google", "usageMetadata");
    if (field(own, "promptTokenCount") !== undefined) return googleUsageUnits(own, model);
  }
  if (family === "bedrock" && field(raw, "inputTokens") !== undefined) return converseUsageUnits(raw, model);
  return undefined;
}

interface Split {
  noCache: number;
  read: number;
  write: number;
  text: number;
  reasoning: number;
}

function v3(usage: AiSdkUsage): Split {
  const i = (usage.inputTokens ?? {}) as Exclude<AiSdkUsage["inputTokens"], number>;
  const o = (usage.outputTokens ?? {}) as Exclude<AiSdkUsage["outputTokens"], number>;
  const read = count(i?.cacheRead);
  const write = count(i?.cacheWrite);
  const reasoning = count(o?.reasoning);
  return {
    noCache: i?.noCache != null ? count(i.noCache) : Math.max(0, count(i?.total) - read - write),
    read,
    write,
    text: o?.text != null ? count(o.text) : Math.max(0, count(o?.total) - reasoning),
    reasoning,
  };
}

/**
 * v2's flat counts: OpenAI-style providers count cached tokens in `inputTokens` and reasoning
 * in `outputTokens`; Anthropic's and Bedrock's `inputTokens` leave cache reads out (their
 * cache writes are in the provider metadata); Google's `outputTokens` leave thinking out.
 */
function v2(usage: AiSdkUsage, family: ProviderFamily, metadata: unknown): Split {
  const input = count(usage.inputTokens);
  const output = count(usage.outputTokens);
  const read = count(usage.cachedInputTokens);
  const reasoning = count(usage.reasoningTokens);
  const separateCache = family === "anthropic" || family === "bedrock";
  const write =
    family === "anthropic"
      ? count(field(metadata, "anthropic", "cacheCreationInputTokens"))
      : family === "bedrock"
        ? count(field(metadata, "bedrock", "usage", "cacheWriteInputTokens"))
        : 0;
  return {
    noCache: separateCache ? input : Math.max(0, input - read),
    read,
    write,
    text: family === "google" ? output : Math.max(0, output - reasoning),
    reasoning,
  };
}

/** `metadata` is the call's provider metadata (`providerMetadata` of the result or the finish part). */
export function aiSdkUsageUnits(
  usage: AiSdkUsage | undefined,
  family: ProviderFamily,
  model: string,
  metadata?: unknown,
): Units {
  const own = providerOwn(usage, family, model, metadata);
  if (own) return own;
  const units: Units = {};
  if (!usage) return units;
  const flat = typeof usage.inputTokens === "number" || typeof usage.outputTokens === "number";
  const s = flat ? v2(usage, family, metadata) : v3(usage);
  const large = family === "anthropic" && s.noCache + s.read + s.write >= 200_000 ? "_large_context" : "";
  addUnits(units, `text${large}`, s.noCache, s.text);
  addUnits(units, `text_cache_read${large}`, s.read);
  addUnits(units, `text_cache_write${large}`, s.write);
  addUnits(units, "reasoning", 0, s.reasoning);
  return units;
}
