/**
 * A reported call and its context as one ingest event (the params of `ingest.units`).
 *
 * Resource and category: per-call or context `price_as_resource` / `price_as_category` win;
 * when neither is given, the first model mapping for the model (and host, if the mapping
 * names one) gives them and its `resource_scope`; otherwise the provider's category and the
 * model. A call without a model is `system.unknown_model`.
 */
import { randomUUID } from "node:crypto";
import type { IngestUnitsParams } from "../generated/api.js";
import type { CallReport } from "./call.js";
import type { PayiContext } from "./context.js";

export interface ModelMapping {
  /** The model (Azure: the deployment name) as the call names it. */
  model: string;
  /** Only for calls to this host (e.g. "my-resource.openai.azure.com"). */
  host?: string;
  price_as_category?: string;
  price_as_resource?: string;
  resource_scope?: string;
}

export interface EventOptions {
  modelMappings: readonly ModelMapping[];
  /** Keep inline base64 images in logged bodies. */
  instrumentInlineData: boolean;
  /** Prompt logging unless a context turns it off. */
  logPromptAndResponse: boolean;
}

export const FAILURE = "system.failure";
export const FAILURE_DESCRIPTION = "system.failure.description";
/** A status no provider answers, for calls that got no answer (as the Python SDK marks them). */
export const NO_ANSWER_STATUS = 299;

function mappingFor(
  mappings: readonly ModelMapping[],
  model: string | undefined,
  host: string | undefined,
): ModelMapping | undefined {
  if (!model) return undefined;
  return mappings.find((m) => m.model === model && (!m.host || normalizeHost(m.host) === host));
}

export function normalizeHost(host: string): string {
  try {
    return new URL(/^https?:\/\//.test(host) ? host : `https://${host}`).host;
  } catch {
    return host;
  }
}

type Redact = CallReport["redact"];

function json(value: unknown, redact: ((b: unknown) => unknown) | undefined, keepInline: boolean): string {
  return JSON.stringify(redact && !keepInline ? redact(structuredClone(value)) : value);
}

/** A body given as JSON text: as it is, unless it may hold inline data to replace. */
function text(value: string, redact: ((b: unknown) => unknown) | undefined, r: Redact, keepInline: boolean): string {
  if (!redact || keepInline || (r?.test && !r.test.test(value))) return value;
  try {
    return JSON.stringify(redact(JSON.parse(value)));
  } catch {
    return value;
  }
}

export function buildEvent(call: CallReport, ctx: PayiContext, o: EventOptions): IngestUnitsParams {
  let category = ctx.price_as_category;
  let resource = ctx.price_as_resource;
  let scope = ctx.resource_scope;
  if (!category && !resource) {
    const m = mappingFor(o.modelMappings, call.model, call.host);
    if (m) {
      category = m.price_as_category;
      resource = m.price_as_resource;
      scope = m.resource_scope ?? scope;
    }
  }
  const e: IngestUnitsParams = {
    category: category || call.category,
    resource: resource || call.model || "system.unknown_model",
    units: call.units as IngestUnitsParams["units"],
    event_timestamp: new Date(call.startedAt).toISOString(),
    end_to_end_latency_ms: Math.max(0, Math.round(call.endedAt - call.startedAt)),
    http_status_code: call.status ?? NO_ANSWER_STATUS,
    provider_response_id: call.responseId || `payi_${randomUUID()}`,
  };
  if (call.firstTokenAt !== undefined)
    e.time_to_first_token_ms = Math.max(0, Math.round(call.firstTokenAt - call.startedAt));
  if (call.uri) e.provider_uri = call.uri;
  const resourceScope = call.resourceScope ?? scope;
  if (resourceScope) e.resource_scope = resourceScope;
  if (call.functionCalls?.length) e.provider_response_function_calls = call.functionCalls;

  const logging = ctx.log_prompt_and_response ?? o.logPromptAndResponse;
  if (logging) {
    const keep = o.instrumentInlineData;
    if (call.requestText !== undefined)
      e.provider_request_json = text(call.requestText, call.redact?.request, call.redact, keep);
    else if (call.request !== undefined) e.provider_request_json = json(call.request, call.redact?.request, keep);
    if (call.responseText !== undefined) {
      const r = call.responseText;
      e.provider_response_json = Array.isArray(r)
        ? r.map((x) => text(x, call.redact?.response, call.redact, keep))
        : text(r, call.redact?.response, call.redact, keep);
    } else if (call.response !== undefined) {
      const r = call.response;
      e.provider_response_json = Array.isArray(r)
        ? r.map((x) => json(x, call.redact?.response, keep))
        : json(r, call.redact?.response, keep);
    }
  }

  const properties: Record<string, string | null> = { ...(ctx.request_properties ?? {}), ...(call.properties ?? {}) };
  if (call.failure) {
    properties[FAILURE] = call.failure;
    if (call.failureDescription) properties[FAILURE_DESCRIPTION] = call.failureDescription;
  }
  if (Object.keys(properties).length) e.properties = properties as IngestUnitsParams["properties"];
  if (ctx.use_case_properties && Object.keys(ctx.use_case_properties).length)
    e.use_case_properties = { ...ctx.use_case_properties } as IngestUnitsParams["use_case_properties"];
  if (ctx.limit_ids?.length) e.limit_ids = [...ctx.limit_ids];
  if (ctx.use_case_name) {
    e.use_case_name = ctx.use_case_name;
    if (ctx.use_case_id) e.use_case_id = ctx.use_case_id;
    if (ctx.use_case_version !== undefined) e.use_case_version = ctx.use_case_version;
    if (ctx.use_case_step) e.use_case_step = ctx.use_case_step;
  }
  if (ctx.user_id) e.user_id = ctx.user_id;
  if (ctx.account_name) e.account_name = ctx.account_name;
  return e;
}
