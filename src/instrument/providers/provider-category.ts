/**
 * Which Pay-i category and resource a call belongs to, from the provider's name as the AI
 * SDK (`openai.chat`, `amazon-bedrock`, `google.generative-ai`) or OpenTelemetry's GenAI
 * conventions (`openai`, `aws.bedrock`, `gcp.gemini`) write it, and the model id.
 */
import { BEDROCK_CATEGORY } from "./bedrock-usage.js";
import { GOOGLE_CATEGORY, googleResource } from "./google-usage.js";

export type ProviderFamily = "openai" | "azureopenai" | "anthropic" | "bedrock" | "google" | "other";

export function providerFamily(provider: string): ProviderFamily {
  const p = provider.toLowerCase();
  const first = p.split(/[.:/]/)[0];
  if (p.startsWith("azure.ai.openai") || first === "azure" || first === "azure-openai") return "azureopenai";
  if (first === "openai") return "openai";
  if (first === "anthropic") return "anthropic";
  if (p.startsWith("aws.bedrock") || first === "amazon-bedrock" || first === "bedrock") return "bedrock";
  if (first === "google" || p.startsWith("gcp.gemini") || p.startsWith("gcp.vertex_ai") || p.startsWith("gcp.gen_ai"))
    return "google";
  return "other";
}

const CATEGORY: Record<Exclude<ProviderFamily, "other">, string> = {
  openai: "system.openai",
  azureopenai: "system.azureopenai",
  anthropic: "system.anthropic",
  bedrock: BEDROCK_CATEGORY,
  google: GOOGLE_CATEGORY,
};

/**
 * The category and resource of a call. A provider Pay-i has no system category for keeps
 * its own name (its first dotted part) as the category, so it can be priced as a custom one.
 * The AI SDK gateway's `vendor/model` ids are priced as the vendor's.
 */
export function categoryAndResource(
  provider: string,
  model: string,
): { category: string; resource: string; family: ProviderFamily } {
  if (provider.split(".")[0] === "gateway" && model.includes("/")) {
    const [vendor, ...rest] = model.split("/");
    return categoryAndResource(vendor, rest.join("/"));
  }
  const family = providerFamily(provider);
  if (family === "other") return { category: provider.split(".")[0] || provider, resource: model, family };
  return { category: CATEGORY[family], resource: family === "google" ? googleResource(model) : model, family };
}
