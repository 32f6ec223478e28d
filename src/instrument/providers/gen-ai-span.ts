/**
 * A finished OpenTelemetry span's GenAI semantic-convention attributes as a tracked call:
 * the provider (`gen_ai.provider.name`, or the older `gen_ai.system`), the model, the
 * response id and the usage. `gen_ai.usage.input_tokens` counts cached tokens too and
 * `gen_ai.usage.output_tokens` reasoning tokens too; both are taken out of `text`. The AI
 * SDK's own `ai.usage.*` details are read where the conventions' ones are missing.
 */
import { categoryAndResource, type ProviderFamily } from "./provider-category.js";
import { type Units, addUnits, count } from "./usage-fields.js";

export interface GenAiSpanCall {
  provider: string;
  family: ProviderFamily;
  category: string;
  resource: string;
  responseId?: string;
  operation?: string;
  units: Units;
}

type Attributes = Record<string, unknown>;

function first(attrs: Attributes, ...names: string[]): unknown {
  for (const n of names) if (attrs[n] !== undefined && attrs[n] !== null && attrs[n] !== "") return attrs[n];
  return undefined;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The call a span describes, or undefined when it is not a GenAI call with usage. */
export function genAiSpanCall(attrs: Attributes): GenAiSpanCall | undefined {
  const provider = text(first(attrs, "gen_ai.provider.name", "gen_ai.system"));
  const model = text(first(attrs, "gen_ai.request.model", "gen_ai.response.model"));
  const inputTotal = first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens");
  const outputTotal = first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens");
  if (!provider || !model || (inputTotal === undefined && outputTotal === undefined)) return undefined;

  const { category, resource, family } = categoryAndResource(provider, model);
  const read = count(
    first(
      attrs,
      "gen_ai.usage.cache_read.input_tokens",
      "ai.usage.inputTokenDetails.cacheReadTokens",
      "ai.usage.cachedInputTokens",
    ),
  );
  const write = count(
    first(attrs, "gen_ai.usage.cache_creation.input_tokens", "ai.usage.inputTokenDetails.cacheWriteTokens"),
  );
  const reasoning = count(
    first(
      attrs,
      "gen_ai.usage.reasoning.output_tokens",
      "ai.usage.outputTokenDetails.reasoningTokens",
      "ai.usage.reasoningTokens",
    ),
  );
  const input = count(inputTotal);
  const output = count(outputTotal);
  const noCache = Math.max(0, input - read - write);
  const large = family === "anthropic" && input >= 200_000 ? "_large_context" : "";

  const units: Units = {};
  addUnits(units, `text${large}`, noCache, Math.max(0, output - reasoning));
  addUnits(units, `text_cache_read${large}`, read);
  addUnits(units, `text_cache_write${large}`, write);
  addUnits(units, "reasoning", 0, reasoning);
  if (!Object.keys(units).length) units.text = { input: 0, output: 0 };
  const operation = text(attrs["gen_ai.operation.name"]);
  const responseId = text(attrs["gen_ai.response.id"]);
  return {
    provider,
    family,
    category,
    resource,
    units,
    ...(responseId ? { responseId } : {}),
    ...(operation ? { operation } : {}),
  };
}
