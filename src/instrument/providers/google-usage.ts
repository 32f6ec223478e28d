/**
 * Gemini's `usageMetadata` (generateContent, JSON or each SSE chunk) as Pay-i's units: input
 * per modality less what was read from the cache, cache reads per modality, output per
 * modality, thinking tokens as `reasoning`; gemini-2.5-pro prompts over 200k tokens get the
 * `_large_context` units.
 */
import { type Units, addUnits, count, field } from "./usage-fields.js";

export const GOOGLE_CATEGORY = "system.google.vertex";

/** The resource of a Gemini model: `google.<model>`, without a `models/` prefix. */
export function googleResource(model: string): string {
  return `google.${model.replace(/^(publishers\/google\/)?models\//, "")}`;
}

/** Input modalities and their unit; DOCUMENT (PDF pages) is priced as text. */
const INPUT_KIND: Record<string, string> = {
  TEXT: "text",
  IMAGE: "vision",
  AUDIO: "audio",
  VIDEO: "video",
  DOCUMENT: "text",
};
/** Output modalities and their unit; generated images are `image`. */
const OUTPUT_KIND: Record<string, string> = { TEXT: "text", IMAGE: "image", AUDIO: "audio", VIDEO: "video" };

/** `[{ modality, tokenCount }]` as a map of unit kind to tokens. */
function byKind(details: unknown, kinds: Record<string, string>): Map<string, number> | undefined {
  if (!Array.isArray(details)) return undefined;
  const out = new Map<string, number>();
  for (const d of details) {
    const kind = kinds[String(field(d, "modality"))];
    if (kind) out.set(kind, (out.get(kind) ?? 0) + count(field(d, "tokenCount")));
  }
  return out;
}

export function googleUsageUnits(usage: unknown, model: string): Units {
  const units: Units = {};
  const prompt = count(field(usage, "promptTokenCount"));
  const large = /^(models\/)?gemini-2\.5-pro/.test(model) && prompt > 200_000 ? "_large_context" : "";

  const cachedTotal = count(field(usage, "cachedContentTokenCount"));
  // Without a breakdown, cached tokens are text (the Python SDK billed them as full input).
  const cached =
    byKind(field(usage, "cacheTokensDetails"), INPUT_KIND) ?? new Map(cachedTotal ? [["text", cachedTotal]] : []);
  for (const [kind, n] of cached) addUnits(units, `${kind}_cache_read${large}`, n);

  const input = byKind(field(usage, "promptTokensDetails"), INPUT_KIND) ?? new Map([["text", prompt]]);
  // Tool-use prompts (code execution, search results fed back) are billed as input.
  const toolUse =
    byKind(field(usage, "toolUsePromptTokensDetails"), INPUT_KIND) ??
    new Map([["text", count(field(usage, "toolUsePromptTokenCount"))]]);
  for (const [kind, n] of toolUse) input.set(kind, (input.get(kind) ?? 0) + n);
  for (const [kind, n] of input) addUnits(units, `${kind}${large}`, Math.max(0, n - (cached.get(kind) ?? 0)));

  const output =
    byKind(field(usage, "candidatesTokensDetails"), OUTPUT_KIND) ??
    new Map([["text", count(field(usage, "candidatesTokenCount"))]]);
  for (const [kind, n] of output) addUnits(units, `${kind}${large}`, 0, n);

  addUnits(units, `reasoning${large}`, 0, count(field(usage, "thoughtsTokenCount")));
  return units;
}
