/**
 * An Anthropic Messages `usage` as Pay-i's units, for Claude reached through Bedrock's
 * InvokeModel (whose body is Anthropic's own): cache reads and writes (5-minute and 1-hour)
 * apart from text, all `_large_context` from 200k input tokens (cached ones included), and
 * web-search requests.
 */
import { type Units, addUnits, count, field } from "./usage-fields.js";

const LARGE_CONTEXT = 200_000;

export function anthropicUsageUnits(usage: unknown): Units {
  const units: Units = {};
  const input = count(field(usage, "input_tokens"));
  const read = count(field(usage, "cache_read_input_tokens"));
  const write = count(field(usage, "cache_creation_input_tokens"));
  const large = input + read + write >= LARGE_CONTEXT ? "_large_context" : "";
  const fiveMinutes = count(field(usage, "cache_creation", "ephemeral_5m_input_tokens"));
  const oneHour = count(field(usage, "cache_creation", "ephemeral_1h_input_tokens"));
  addUnits(units, `text${large}`, input, count(field(usage, "output_tokens")));
  addUnits(units, `text_cache_read${large}`, read);
  if (fiveMinutes || oneHour) {
    addUnits(units, `text_cache_write${large}`, fiveMinutes);
    addUnits(units, `text_cache_write_1h${large}`, oneHour);
  } else {
    addUnits(units, `text_cache_write${large}`, write);
  }
  addUnits(units, "web_search_request", 0, count(field(usage, "server_tool_use", "web_search_requests")));
  return units;
}
