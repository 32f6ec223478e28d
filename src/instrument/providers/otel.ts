/**
 * An OpenTelemetry `SpanProcessor` that turns each finished span carrying the GenAI semantic
 * conventions' attributes (provider, model, usage) into a tracked call, so any library traced
 * by OpenTelemetry (the AI SDK's telemetry, OpenLLMetry, ...) is tracked. It is typed
 * structurally and imports nothing of OpenTelemetry, which stays the user's.
 *
 * Counted once: a call that an instrumented client (OpenAI, Anthropic, Bedrock, Google, the AI
 * SDK middleware) tracks itself is not counted again from its span. Such a call notes, when it
 * starts, the span active there (read through OpenTelemetry's global context, whose keys are
 * shared by every copy of its API); that span and its open ancestors are then left out, and so
 * is any span whose `gen_ai.response.id` a directly tracked call answered with.
 *
 * The context of an event is the one in force where the span is ended (its `track()` scopes),
 * which is the caller's for the libraries that end a call's span where the call returns.
 */
import type { CallReport } from "../call.js";
import type { PayiContext } from "../context.js";
import type { Units } from "../units.js";
import { genAiSpanCall } from "./gen-ai-span.js";

/** What this processor reads of a span (`ReadableSpan` of @opentelemetry/sdk-trace-base 1.x and 2.x). */
interface SpanLike {
  attributes: Record<string, unknown>;
  startTime: [number, number];
  endTime: [number, number];
  status?: { code: number; message?: string };
  spanContext(): { spanId: string };
  parentSpanContext?: { spanId: string };
  parentSpanId?: string;
}

export interface SpanProcessorHost {
  /** The context in force here. */
  context(): PayiContext;
  report(call: CallReport, ctx: PayiContext): void;
  fault(error: unknown): void;
  flush(): Promise<void>;
}

const API = Symbol.for("opentelemetry.js.api.1");
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");
const ERROR = 2;
const KEEP_IDS = 10_000;
/** Spans never ended (a leak in the traced code) are forgotten past this many open ones. */
const KEEP_OPEN = 100_000;

/** The id of the span active here, if OpenTelemetry's API is in use. */
function activeSpanId(): string | undefined {
  const api = (globalThis as Record<symbol, { context?: { active(): { getValue(k: symbol): unknown } } } | undefined>)[
    API
  ];
  const span = api?.context?.active().getValue(SPAN_KEY) as { spanContext?: () => { spanId?: string } } | undefined;
  return span?.spanContext?.().spanId;
}

const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

function parseJson(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export class GenAiSpanProcessor {
  readonly #host: SpanProcessorHost;
  /** Open spans, by id, to their parent's id. */
  readonly #open = new Map<string, string | undefined>();
  /** Open spans a directly tracked call started in. */
  readonly #direct = new Set<string>();
  /** Response ids of directly tracked calls, the most recent last. */
  readonly #ids = new Set<string>();

  readonly #keepOpen: number;

  constructor(host: SpanProcessorHost, keepOpen = KEEP_OPEN) {
    this.#host = host;
    this.#keepOpen = keepOpen;
  }

  /** For the instrumentor: a directly tracked call starts here. */
  noteDirectCall(): void {
    try {
      for (let id = activeSpanId(); id && this.#open.has(id) && !this.#direct.has(id); id = this.#open.get(id))
        this.#direct.add(id);
    } catch (err) {
      this.#host.fault(err);
    }
  }

  /** For the instrumentor: a directly tracked call answered with this id. */
  noteResponseId(id: string | undefined): void {
    if (!id) return;
    this.#ids.add(id);
    if (this.#ids.size > KEEP_IDS) this.#ids.delete(this.#ids.values().next().value!);
  }

  onStart(span: SpanLike): void {
    try {
      this.#open.set(span.spanContext().spanId, span.parentSpanContext?.spanId ?? span.parentSpanId);
      if (this.#open.size > this.#keepOpen) {
        const oldest = this.#open.keys().next().value!;
        this.#open.delete(oldest);
        this.#direct.delete(oldest);
      }
    } catch (err) {
      this.#host.fault(err);
    }
  }

  onEnd(span: SpanLike): void {
    try {
      const id = span.spanContext().spanId;
      const direct = this.#direct.delete(id);
      this.#open.delete(id);
      if (direct) return;
      const call = genAiSpanCall(span.attributes ?? {});
      if (!call || (call.responseId && this.#ids.has(call.responseId))) return;
      const ctx = this.#host.context();
      // Proxy mode: Pay-i's proxy sees the calls; nothing is ingested.
      if (ctx.proxy) return;
      const a = span.attributes;
      const failed = span.status?.code === ERROR;
      const status =
        typeof a["http.response.status_code"] === "number"
          ? (a["http.response.status_code"] as number)
          : failed
            ? undefined
            : 200;
      const address =
        typeof a["server.address"] === "string"
          ? `${a["server.address"]}${a["server.port"] ? `:${a["server.port"]}` : ""}`
          : undefined;
      const report: CallReport = {
        provider: call.provider,
        category: call.category,
        model: call.resource,
        units: call.units as Units,
        status,
        startedAt: ms(span.startTime),
        endedAt: ms(span.endTime),
        responseId: call.responseId,
        ...(address ? { host: address, uri: `https://${address}` } : {}),
        ...(a["gen_ai.input.messages"] !== undefined
          ? { request: { messages: parseJson(a["gen_ai.input.messages"]) } }
          : {}),
        ...(a["gen_ai.output.messages"] !== undefined
          ? { response: { messages: parseJson(a["gen_ai.output.messages"]) } }
          : {}),
      };
      if (failed && status === undefined) {
        report.failure = typeof a["error.type"] === "string" ? a["error.type"] : "error";
        if (span.status?.message) report.failureDescription = span.status.message;
      }
      this.#host.report(report, ctx);
    } catch (err) {
      this.#host.fault(err);
    }
  }

  /** Delivers what was reported so far (the instrumentor's flush). */
  forceFlush(): Promise<void> {
    return this.#host.flush();
  }

  shutdown(): Promise<void> {
    this.#open.clear();
    this.#direct.clear();
    return this.#host.flush();
  }
}

/** The span processors of one instrumentor, told about its directly tracked calls. */
export class SpanProcessors {
  readonly #list: GenAiSpanProcessor[] = [];

  add(p: GenAiSpanProcessor): GenAiSpanProcessor {
    this.#list.push(p);
    return p;
  }

  noteDirectCall(): void {
    for (const p of this.#list) p.noteDirectCall();
  }

  noteResponseId(id: string | undefined): void {
    if (id) for (const p of this.#list) p.noteResponseId(id);
  }
}
