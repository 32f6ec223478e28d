/**
 * Google Gemini through `@google/genai` (Gemini API and Vertex AI): generateContent, JSON and
 * streamed (`:streamGenerateContent?alt=sse`), seen by the fetch the SDK is given
 * (`httpOptions.fetch`). The resource is `google.<model>`, the model the answer names
 * (`modelVersion`) else the one in the URL; the category `system.google.vertex`, as in the
 * Python SDK. A streamed answer is complete once a candidate has a finish reason.
 *
 * The SDK retries only when given `retryOptions`; then each attempt is its own event.
 */
import type { FunctionCall, InstrumentCore } from "../call.js";
import { PendingAttempts } from "../attempts.js";
import { instrumentedFetch, type Draft, type Endpoint, type HttpProvider } from "../http.js";
import type { Units } from "../units.js";
import { GOOGLE_CATEGORY, googleResource, googleUsageUnits } from "./google-usage.js";
import { field } from "./usage-fields.js";

export const NOT_INSTRUMENTED = "<not_instrumented>";

type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const PATH = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** Replaces inline base64 data (images, audio, video) in a request's or an answer's parts. */
function redactParts(parts: unknown): void {
  for (const p of arr(parts)) {
    const inline = field(p, "inlineData") as Obj | undefined;
    if (inline && typeof inline.data === "string") inline.data = NOT_INSTRUMENTED;
  }
}

const redact = {
  request: (body: unknown) => {
    for (const c of arr(field(body, "contents"))) redactParts(field(c, "parts"));
    return body;
  },
  response: (body: unknown) => {
    for (const c of arr(field(body, "candidates"))) redactParts(field(c, "content", "parts"));
    return body;
  },
};

/** Reads one answer (a JSON answer or one streamed chunk) into the draft. */
function read(body: unknown, d: Draft, urlModel: string): void {
  const id = field(body, "responseId");
  if (typeof id === "string" && id) d.responseId = id;
  const version = field(body, "modelVersion");
  const model = typeof version === "string" && version ? version : urlModel;
  d.model = googleResource(model);
  const calls: FunctionCall[] = [];
  for (const c of arr(field(body, "candidates"))) {
    if (field(c, "finishReason")) d.done = true;
    for (const p of arr(field(c, "content", "parts"))) {
      const fn = field(p, "functionCall") as Obj | undefined;
      if (fn && typeof fn.name === "string")
        calls.push({ name: fn.name, ...(fn.args !== undefined ? { arguments: JSON.stringify(fn.args) } : {}) });
    }
  }
  if (field(body, "promptFeedback", "blockReason")) d.done = true;
  if (calls.length) d.functionCalls = [...(d.functionCalls ?? []), ...calls];
  const usage = field(body, "usageMetadata");
  // Each streamed chunk carries the usage so far; the last one's is the call's.
  if (usage) d.units = googleUsageUnits(usage, model) as Units;
}

export function googleProvider(): HttpProvider {
  return {
    name: "google",
    match(req) {
      if (req.method !== "POST") return undefined;
      const m = PATH.exec(req.url.pathname);
      if (!m) return undefined;
      const urlModel = decodeURIComponent(m[1]);
      const endpoint: Endpoint = {
        category: GOOGLE_CATEGORY,
        model: googleResource(urlModel),
        stream: m[2] === "streamGenerateContent",
        redact,
        json(body, d) {
          if (field(body, "error")) return;
          read(body, d, urlModel);
          d.done = true;
        },
        event(data, d) {
          read(data, d, urlModel);
        },
      };
      return endpoint;
    },
  };
}

/** A fetch for `new GoogleGenAI({ httpOptions: { fetch } })` that reports its generateContent calls. */
export function googleFetch(core: InstrumentCore, base?: typeof fetch): typeof fetch {
  if (base !== undefined && typeof base !== "function")
    throw new TypeError("instrument.googleFetch: fetch must be a function");
  const pending = new PendingAttempts();
  core.onShutdown(() => pending.settleAll());
  return instrumentedFetch(
    core,
    googleProvider(),
    { fetch: base ?? ((...args) => globalThis.fetch(...args)), maxRetries: () => 0 },
    pending,
  );
}
