/**
 * Anthropic (the `@anthropic-ai/sdk` package): messages, as JSON and streamed (`stream: true`
 * and the `messages.stream()` helper, which rides on the same request).
 *
 * A stream's usage is its `message_start` usage updated by its `message_delta` usage (the
 * delta's counts are cumulative and may revise the input, with web search), so the units and
 * the large-context threshold are worked out from the final figures. Tool calls are collected
 * whatever their content-block index (0 included). An `inference_geo` other than `global`
 * prices the call in that data zone (`resource_scope` `datazone.<geo>`).
 */
import type { FunctionCall } from "../call.js";
import { CALLER_SIGNAL } from "../attempts.js";
import type { Draft, Endpoint, HttpProvider } from "../http.js";
import { unitsFrom } from "../units.js";
import { NOT_INSTRUMENTED } from "./openai.js";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Replaces base64 images and documents in the request's messages. */
function redactRequest(body: unknown): unknown {
  for (const m of arr(obj(body)?.messages)) {
    for (const part of arr(obj(m)?.content)) {
      const p = obj(part);
      const source = obj(p?.source);
      if ((p?.type === "image" || p?.type === "document") && source?.type === "base64" && "data" in source)
        source.data = NOT_INSTRUMENTED;
    }
  }
  return body;
}

function geo(d: Draft, usage: Obj | undefined): void {
  const g = str(usage?.inference_geo);
  if (g && g !== "global" && g !== "not_available") d.resourceScope = `datazone.${g}`;
}

function toolCalls(content: unknown): FunctionCall[] {
  return arr(content)
    .map(obj)
    .filter((c) => c?.type === "tool_use" && str(c.name))
    .map((c) => ({
      name: c!.name as string,
      arguments: c!.input === undefined ? undefined : JSON.stringify(c!.input),
    }));
}

function messages(body: Obj): Endpoint {
  let usage: Obj = {};
  const tools = new Map<number, FunctionCall & { arguments: string }>();
  return {
    category: "system.anthropic",
    model: str(body.model),
    stream: body.stream === true,
    redact: { request: redactRequest, test: /"base64"/ },
    json(answer, d) {
      const a = obj(answer);
      if (!a) return;
      d.responseId = str(a.id) ?? d.responseId;
      d.model ??= str(a.model);
      const u = obj(a.usage);
      if (u) {
        d.units = unitsFrom.anthropic(u);
        geo(d, u);
      }
      const calls = toolCalls(a.content);
      if (calls.length) d.functionCalls = calls;
    },
    // Text deltas and pings carry nothing counted: not parsed.
    wants: (data, name) => name !== "ping" && (name !== "content_block_delta" || data.includes('"input_json_delta"')),
    event(data, d) {
      const e = obj(data);
      switch (e?.type) {
        case "message_start": {
          const m = obj(e.message);
          d.responseId ??= str(m?.id);
          d.model ??= str(m?.model);
          usage = { ...(obj(m?.usage) ?? {}) };
          break;
        }
        case "message_delta": {
          for (const [k, v] of Object.entries(obj(e.usage) ?? {})) if (v !== null && v !== undefined) usage[k] = v;
          break;
        }
        case "content_block_start": {
          const block = obj(e.content_block);
          if (block?.type === "tool_use" && typeof e.index === "number" && str(block.name))
            tools.set(e.index, { name: block.name as string, arguments: "" });
          break;
        }
        case "content_block_delta": {
          const delta = obj(e.delta);
          const t = typeof e.index === "number" ? tools.get(e.index) : undefined;
          if (t && delta?.type === "input_json_delta" && typeof delta.partial_json === "string")
            t.arguments += delta.partial_json;
          break;
        }
        case "message_stop":
          d.done = true;
          break;
        case "error": {
          // Anthropic ends a stream it cannot finish (overloaded, ...) with an error event.
          const err = obj(e.error);
          d.failure = { name: str(err?.type) ?? "error", description: str(err?.message) };
          return;
        }
        default:
          return;
      }
      d.units = unitsFrom.anthropic(usage);
      geo(d, usage);
      if (tools.size) d.functionCalls = [...tools.values()];
    },
  };
}

/** The endpoints of an Anthropic client. */
/**
 * A middleware (the SDK's `middleware` option, 1.x releases that have it) that hands the
 * caller's signal to the instrumented fetch: the SDK unlinks it from an answered attempt's
 * signal, so a caller's abort while the SDK waits to retry would otherwise go unseen.
 */
export function callerSignalMiddleware(
  request: Record<string | symbol, unknown>,
  next: (request: Record<string | symbol, unknown>) => Promise<Response>,
  ctx: { options?: { signal?: AbortSignal | null } },
): Promise<Response> {
  const signal = ctx?.options?.signal;
  if (signal) request[CALLER_SIGNAL] = signal;
  return next(request);
}

export function anthropicProvider(): HttpProvider {
  return {
    name: "anthropic",
    match(req) {
      if (req.method !== "POST" || !/\/v1\/messages$/.test(req.url.pathname)) return undefined;
      const body = obj(req.body());
      return body ? messages(body) : undefined;
    },
  };
}
