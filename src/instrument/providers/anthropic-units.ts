/** Anthropic's `usage` (Claude on Bedrock, through the AI SDK) by the instrumentation's Anthropic rules, as a plain unit map. */
import { unitsFrom } from "../units.js";
import type { Units } from "./usage-fields.js";

export const anthropicUsageUnits = (usage: unknown): Units =>
  unitsFrom.anthropic(usage as Record<string, unknown>) as Units;
