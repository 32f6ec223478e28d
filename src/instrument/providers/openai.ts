/**
 * OpenAI and Azure OpenAI (the `openai` package): chat completions (`create` and `parse`, JSON
 * and streamed), the Responses API (JSON and streamed) and embeddings.
 *
 * A chat stream reports usage only when asked (`stream_options.include_usage`): it is merged
 * into the caller's `stream_options`, their other keys kept, and the extra usage chunk it
 * brings is left out of what the caller reads only when the caller had not asked for it.
 * Azure: the category is `system.azureopenai` and the model, when the body names none, is the
 * deployment from the URL.
 */
import type { FunctionCall } from "../call.js";
import type { Draft, Endpoint, HttpProvider } from "../http.js";
import { unitsFrom } from "../units.js";

export const NOT_INSTRUMENTED = "<not_instrumented>";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Replaces `data:` image URLs in chat messages and Responses API input. */
function redactRequest(body: unknown): unknown {
  const b = obj(body);
  for (const m of arr(b?.messages)) {
    for (const part of arr(obj(m)?.content)) {
      const p = obj(part);
      const image = obj(p?.image_url);
      if (p?.type === "image_url" && typeof image?.url === "string" && image.url.startsWith("data:"))
        image.url = NOT_INSTRUMENTED;
    }
  }
  for (const item of arr(b?.input)) {
    for (const part of arr(obj(item)?.content)) {
      const p = obj(part);
      if (p?.type === "input_image" && typeof p.image_url === "string" && p.image_url.startsWith("data:"))
        p.image_url = NOT_INSTRUMENTED;
    }
  }
  return body;
}

/** Replaces generated images (base64) in Responses API answers and stream events. */
function redactResponse(body: unknown): unknown {
  const outputs = (o: unknown) => {
    for (const item of arr(o)) {
      const i = obj(item);
      if (i?.type === "image_generation_call" && "result" in i) i.result = NOT_INSTRUMENTED;
    }
  };
  const b = obj(body);
  if (!b) return body;
  outputs(b.output);
  if (b.type === "response.image_generation_call.partial_image" && "partial_image_b64" in b)
    b.partial_image_b64 = NOT_INSTRUMENTED;
  if (b.type === "response.output_item.done") outputs([b.item]);
  outputs(obj(b.response)?.output);
  return body;
}

/** Inline data shows as a data: URL in requests, and as generated images in Responses API answers. */
const redact = {
  request: redactRequest,
  response: redactResponse,
  test: /data:|image_generation_call|partial_image_b64/,
};

function chatFunctionCalls(message: Obj | undefined): FunctionCall[] {
  const calls: FunctionCall[] = [];
  const legacy = obj(message?.function_call);
  if (str(legacy?.name))
    calls.push({ name: legacy!.name as string, arguments: (legacy!.arguments as string) ?? undefined });
  for (const t of arr(message?.tool_calls)) {
    const fn = obj(obj(t)?.function);
    if (str(fn?.name)) calls.push({ name: fn!.name as string, arguments: (fn!.arguments as string) ?? undefined });
  }
  return calls;
}

function setCalls(d: Draft, calls: FunctionCall[]): void {
  if (calls.length) d.functionCalls = [...(d.functionCalls ?? []), ...calls];
}

/** A chunk with usage (not `"usage": null`, which every chunk has once usage is asked for). */
const USAGE = /"usage"\s*:\s*\{/;

function chat(body: Obj, category: string, model: string | undefined): Endpoint {
  const stream = body.stream === true;
  const options = obj(body.stream_options);
  const added = stream && options?.include_usage !== true;
  /** Tool calls streamed in pieces, by choice and tool index. */
  const building = new Map<string, { name: string; arguments: string }>();
  const ep: Endpoint = {
    category,
    model,
    stream,
    hides: added,
    // The usage chunk (no choices) asked for by us alone: the caller does not expect it.
    hide: (data) => data.includes('"usage"') && /"choices"\s*:\s*\[\s*\]/.test(data),
    redact,
    json(answer, d) {
      const a = obj(answer);
      if (!a) return;
      d.responseId = str(a.id) ?? d.responseId;
      d.model ??= str(a.model);
      if (a.usage) d.units = unitsFrom.openai(obj(a.usage));
      for (const c of arr(a.choices)) setCalls(d, chatFunctionCalls(obj(obj(c)?.message)));
    },
    // The first chunk (id, model), pieces of function calls and the usage chunk; not the text deltas between.
    wants: (data, _name, d) =>
      !d.responseId || data.includes('"tool_calls"') || data.includes('"function_call"') || USAGE.test(data),
    event(data, d) {
      const c = obj(data);
      if (!c) return;
      d.responseId ??= str(c.id);
      d.model ??= str(c.model);
      for (const choice of arr(c.choices)) {
        const ch = obj(choice);
        const delta = obj(ch?.delta);
        const legacy = obj(delta?.function_call);
        if (legacy) collect(building, `${ch?.index ?? 0}:f`, legacy);
        for (const t of arr(delta?.tool_calls))
          collect(building, `${ch?.index ?? 0}:${obj(t)?.index ?? 0}`, obj(obj(t)?.function));
      }
      if (c.usage) {
        d.units = unitsFrom.openai(obj(c.usage));
        d.done = true;
        if (building.size) d.functionCalls = [...building.values()].filter((f) => f.name);
      }
    },
  };
  if (added) {
    ep.send = { ...body, stream_options: { ...(options ?? {}), include_usage: true } };
    // No stream_options at all: the same JSON is the caller's text with the key added at the end.
    if (!("stream_options" in body))
      ep.sendText = (text) => `${text.slice(0, text.lastIndexOf("}"))},"stream_options":{"include_usage":true}}`;
  }
  return ep;
}

function collect(building: Map<string, { name: string; arguments: string }>, key: string, fn: Obj | undefined): void {
  if (!fn) return;
  const f = building.get(key) ?? { name: "", arguments: "" };
  if (typeof fn.name === "string") f.name += fn.name;
  if (typeof fn.arguments === "string") f.arguments += fn.arguments;
  building.set(key, f);
}

function responsesCalls(output: unknown): FunctionCall[] {
  return arr(output)
    .map(obj)
    .filter((o) => o?.type === "function_call" && str(o.name))
    .map((o) => ({ name: o!.name as string, arguments: (o!.arguments as string) ?? undefined }));
}

function responses(body: Obj, category: string, model: string | undefined): Endpoint {
  return {
    category,
    model,
    stream: body.stream === true,
    redact,
    json(answer, d) {
      const a = obj(answer);
      if (!a) return;
      d.responseId = str(a.id) ?? d.responseId;
      d.model ??= str(a.model);
      if (a.usage) d.units = unitsFrom.openai(obj(a.usage));
      setCalls(d, responsesCalls(a.output));
    },
    event(data, d) {
      const e = obj(data);
      const r = obj(e?.response);
      if (r) {
        d.responseId ??= str(r.id);
        d.model ??= str(r.model);
      }
      if (e?.type === "response.output_item.done") setCalls(d, responsesCalls([e.item]));
      if (r?.usage) d.units = unitsFrom.openai(obj(r.usage));
      if (e?.type === "response.completed" || e?.type === "response.incomplete" || e?.type === "response.failed")
        d.done = true;
    },
  };
}

function embeddings(_body: Obj, category: string, model: string | undefined): Endpoint {
  return {
    category,
    model,
    stream: false,
    json(answer, d) {
      const a = obj(answer);
      if (!a) return;
      d.model ??= str(a.model);
      if (a.usage) d.units = unitsFrom.openai(obj(a.usage));
    },
  };
}

const ROUTES: [RegExp, typeof chat][] = [
  [/\/chat\/completions$/, chat],
  [/\/responses$/, responses],
  [/\/embeddings$/, embeddings],
];

/** The endpoints of an OpenAI client, or of an Azure OpenAI one. */
export function openaiProvider(azure: boolean): HttpProvider {
  return {
    name: "openai",
    match(req) {
      if (req.method !== "POST") return undefined;
      const route = ROUTES.find(([re]) => re.test(req.url.pathname));
      if (!route) return undefined;
      const body = obj(req.body());
      if (!body) return undefined;
      const deployment = azure ? /\/deployments\/([^/]+)\//.exec(req.url.pathname)?.[1] : undefined;
      const model = str(body.model) ?? (deployment ? decodeURIComponent(deployment) : undefined);
      return route[1](body, azure ? "system.azureopenai" : "system.openai", model);
    },
  };
}

/** An `AzureOpenAI` client (its own class has `apiVersion` and `deploymentName`). */
export function isAzureClient(client: unknown): boolean {
  const c = client as { apiVersion?: unknown } | null;
  return !!c && typeof c === "object" && typeof c.apiVersion === "string" && "deploymentName" in c;
}
