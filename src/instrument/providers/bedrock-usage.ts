/**
 * AWS Bedrock's usage as Pay-i's units: Converse's `usage` and `trace`, and InvokeModel's
 * answers, whose usage each model family writes its own way (and which Bedrock also sends
 * as `x-amzn-bedrock-*-token-count` headers, for the families whose body has none).
 */
import { anthropicUsageUnits } from "./anthropic-units.js";
import { type Units, addUnits, count, field } from "./usage-fields.js";

export const BEDROCK_CATEGORY = "system.aws.bedrock";

/** Bedrock's guardrail usage fields and the unit each is priced as (input units). */
const GUARDRAIL_UNITS: Record<string, string> = {
  topicPolicyUnits: "guardrail_topic",
  contentPolicyUnits: "guardrail_content",
  contentPolicyImageUnits: "guardrail_content_image",
  wordPolicyUnits: "guardrail_word_free",
  sensitiveInformationPolicyUnits: "guardrail_sensitive_information",
  sensitiveInformationPolicyFreeUnits: "guardrail_sensitive_information_free",
  contextualGroundingPolicyUnits: "guardrail_contextual_grounding",
  automatedReasoningPolicyUnits: "guardrail_automated_reasoning",
};

export const GUARDRAIL_ID = "system.aws.bedrock.guardrail.id";
export const GUARDRAIL_VERSION = "system.aws.bedrock.guardrail.version";
export const GUARDRAIL_ACTION = "system.aws.bedrock.guardrail.action";
export const GUARDRAIL_INTERVENED = "Bedrock Guardrails intervened";

/** The model families whose InvokeModel body carries usage; others are read from headers. */
export type BedrockFamily = "anthropic" | "openai" | "meta" | "nova" | "titan" | "other";

/** A model id, inference profile (`us.anthropic...`) or ARN, by family. */
export function bedrockFamily(modelId: string): BedrockFamily {
  const id = modelId.toLowerCase();
  if (id.includes("anthropic.")) return "anthropic";
  if (id.includes("openai.")) return "openai";
  if (id.includes("meta.")) return "meta";
  if (id.includes("amazon.nova")) return "nova";
  if (id.includes("amazon.titan")) return "titan";
  return "other";
}

/** Adds the guardrail units of one assessment map (`{ [guardrailId]: assessment }`). */
function addGuardrailAssessments(units: Units, assessments: unknown): void {
  if (!assessments || typeof assessments !== "object") return;
  for (const value of Object.values(assessments)) {
    // Output assessments come as a list per guardrail, input ones as one object.
    for (const assessment of Array.isArray(value) ? value : [value]) {
      const usage = field(assessment, "invocationMetrics", "usage");
      if (!usage || typeof usage !== "object") continue;
      for (const [name, kind] of Object.entries(GUARDRAIL_UNITS))
        addUnits(units, kind, count((usage as Record<string, unknown>)[name]));
    }
  }
}

/** Guardrail units of a Converse `trace` (input and every output assessment). */
export function converseGuardrailUnits(units: Units, trace: unknown): void {
  addGuardrailAssessments(units, field(trace, "guardrail", "inputAssessment"));
  addGuardrailAssessments(units, field(trace, "guardrail", "outputAssessments"));
}

/** Guardrail units of an InvokeModel answer's `amazon-bedrock-trace` (input and outputs). */
export function invokeGuardrailUnits(units: Units, body: unknown): void {
  const guardrail = field(body, "amazon-bedrock-trace", "guardrail");
  addGuardrailAssessments(units, field(guardrail, "input"));
  const outputs = field(guardrail, "outputs");
  if (Array.isArray(outputs)) for (const o of outputs) addGuardrailAssessments(units, o);
}

const LARGE_CONTEXT = 200_000;

/**
 * Converse's `usage` (its `inputTokens` excludes cache reads and writes). Anthropic models
 * get the `_large_context` units past 200k input tokens, as on InvokeModel; a `cacheDetails`
 * entry with a 1-hour TTL is a `text_cache_write_1h`.
 */
export function converseUsageUnits(usage: unknown, modelId: string): Units {
  const units: Units = {};
  const input = count(field(usage, "inputTokens"));
  const read = count(field(usage, "cacheReadInputTokens"));
  const write = count(field(usage, "cacheWriteInputTokens"));
  const large = bedrockFamily(modelId) === "anthropic" && input + read + write >= LARGE_CONTEXT ? "_large_context" : "";
  addUnits(units, `text${large}`, input, count(field(usage, "outputTokens")));
  addUnits(units, `text_cache_read${large}`, read);
  let oneHour = 0;
  const details = field(usage, "cacheDetails");
  if (Array.isArray(details))
    for (const d of details) if (field(d, "ttl") === "1h") oneHour += count(field(d, "inputTokens"));
  oneHour = Math.min(oneHour, write);
  addUnits(units, `text_cache_write${large}`, write - oneHour);
  addUnits(units, `text_cache_write_1h${large}`, oneHour);
  return units;
}

/** Usage of an InvokeModel JSON answer, by family; empty when the body has none. */
export function invokeBodyUnits(family: BedrockFamily, body: unknown): Units {
  const units: Units = {};
  switch (family) {
    case "anthropic":
      return field(body, "usage") ? anthropicUsageUnits(field(body, "usage")) : units;
    case "openai":
      addUnits(
        units,
        "text",
        count(field(body, "usage", "prompt_tokens")),
        count(field(body, "usage", "completion_tokens")),
      );
      return units;
    case "meta":
      addUnits(units, "text", count(field(body, "prompt_token_count")), count(field(body, "generation_token_count")));
      return units;
    case "nova":
      addUnits(units, "text", count(field(body, "usage", "inputTokens")), count(field(body, "usage", "outputTokens")));
      addUnits(units, "text_cache_read", count(field(body, "usage", "cacheReadInputTokenCount")));
      addUnits(units, "text_cache_write", count(field(body, "usage", "cacheWriteInputTokenCount")));
      return units;
    case "titan": {
      const results = field(body, "results");
      const output = Array.isArray(results)
        ? results.reduce((n: number, r) => n + count(field(r, "tokenCount")), 0)
        : 0;
      addUnits(units, "text", count(field(body, "inputTextTokenCount")), output);
      return units;
    }
    default:
      return units;
  }
}

/**
 * The token counts Bedrock sends with every InvokeModel answer as headers, or in a stream's
 * last chunk as `amazon-bedrock-invocationMetrics` (same names, camel-cased).
 */
export function invocationMetricsUnits(metrics: {
  inputTokenCount?: unknown;
  outputTokenCount?: unknown;
  cacheReadInputTokenCount?: unknown;
  cacheWriteInputTokenCount?: unknown;
}): Units {
  const units: Units = {};
  addUnits(units, "text", count(num(metrics.inputTokenCount)), count(num(metrics.outputTokenCount)));
  addUnits(units, "text_cache_read", count(num(metrics.cacheReadInputTokenCount)));
  addUnits(units, "text_cache_write", count(num(metrics.cacheWriteInputTokenCount)));
  return units;
}

/** The invocation metrics in InvokeModel's response headers. */
export function headerMetrics(
  headers: Record<string, string | undefined>,
): Parameters<typeof invocationMetricsUnits>[0] {
  const h = (name: string) => headers[name] ?? headers[name.toLowerCase()];
  return {
    inputTokenCount: h("x-amzn-bedrock-input-token-count"),
    outputTokenCount: h("x-amzn-bedrock-output-token-count"),
    cacheReadInputTokenCount: h("x-amzn-bedrock-cache-read-input-token-count"),
    cacheWriteInputTokenCount: h("x-amzn-bedrock-cache-write-input-token-count"),
  };
}

function num(v: unknown): unknown {
  return typeof v === "string" && v.trim() !== "" ? Number(v) : v;
}

/** Adds one set of units to another. */
export function mergeUnits(into: Units, from: Units): Units {
  for (const [k, v] of Object.entries(from)) addUnits(into, k, v.input, v.output);
  return into;
}
