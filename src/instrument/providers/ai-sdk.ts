/**
 * The Vercel AI SDK (`ai` 6 and `ai` 5, language model specifications v3 and v2): a
 * middleware for `wrapLanguageModel({ model, middleware: pi.aiSdk() })`. Each `doGenerate` and `doStream`
 * of the wrapped model is one call: its category and resource from the model's provider and
 * id, its units from the usage the AI SDK reports (see ai-sdk-usage.ts), its id and model
 * from the response metadata. `providerOptions.payi` on a call is a context for that call
 * alone, nested in the one in force as `track()` would nest it.
 *
 * Retries: the AI SDK's own (`maxRetries`) call `doGenerate`/`doStream` again; a user call is
 * one event, its final attempt's, timed from its first (see ai-sdk-retries.ts).
 *
 * Streams: the parts reach the caller as they come; the `finish` part's usage is the call's;
 * an `error` part, a failing stream or a caller who stops reading is reported as a failure
 * with what was seen (one let go unfinished when it is garbage-collected, the model's stream
 * cancelled then; one still open at shutdown()).
 */
import type { InstrumentCore } from "../call.js";
import { checkContext, nest, type PayiContext } from "../context.js";
import type { Units } from "../units.js";
import { AiSdkAttempts, type Attempt } from "./ai-sdk-retries.js";
import { aiSdkUsageUnits, type AiSdkUsage } from "./ai-sdk-usage.js";
import { categoryAndResource } from "./provider-category.js";
import { field } from "./usage-fields.js";

/** What this middleware reads of a language model (`LanguageModelV3`). */
interface ModelLike {
  provider: string;
  modelId: string;
}

interface CallOptionsLike {
  providerOptions?: Record<string, unknown>;
  prompt?: unknown;
  abortSignal?: AbortSignal;
}

interface GenerateResultLike {
  usage?: AiSdkUsage;
  request?: { body?: unknown };
  response?: { id?: string; modelId?: string; body?: unknown };
  content?: unknown;
  finishReason?: unknown;
  providerMetadata?: unknown;
}

interface StreamResultLike {
  stream: ReadableStream<unknown>;
  request?: { body?: unknown };
  response?: unknown;
}

/** `LanguageModelV3Middleware`, typed structurally so `ai` stays an optional peer. */
export interface PayiLanguageModelMiddleware {
  readonly specificationVersion: "v3";
  wrapGenerate(options: { doGenerate: () => PromiseLike<any>; params: any; model: any }): Promise<any>;
  wrapStream(options: { doStream: () => PromiseLike<any>; params: any; model: any }): Promise<any>;
}

function requestBody(body: unknown, params: CallOptionsLike): unknown {
  if (typeof body === "string") {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body ?? { prompt: params.prompt };
}

function errorDetails(err: unknown): {
  status?: number;
  failure?: string;
  failureDescription?: string;
  response?: unknown;
} {
  const e = err as { statusCode?: unknown; responseBody?: unknown; name?: string; message?: string };
  if (typeof e?.statusCode === "number") {
    let response: unknown = e.responseBody;
    if (typeof response === "string") {
      try {
        response = JSON.parse(response);
      } catch {
        // kept as text
      }
    }
    return { status: e.statusCode, ...(response !== undefined ? { response } : {}) };
  }
  return { failure: e?.name || "error", failureDescription: e?.message };
}

type Failure = { failure: string; failureDescription?: string };

/** Streams handed to callers: one collected before its end is reported by its callback. */
const dropped = new FinalizationRegistry<() => void>((fn) => fn());

/** Made here, not where the stream is, so that what the registry holds does not keep the stream alive. */
function whenDropped(settle: (f: Failure) => void, reader: ReadableStreamDefaultReader<unknown>): () => void {
  return () => {
    settle({
      failure: "stream_abandoned",
      failureDescription: "the caller let go of the stream before its end (it was garbage-collected)",
    });
    void reader.cancel().catch(() => {});
  };
}

export function aiSdkMiddleware(core: InstrumentCore): PayiLanguageModelMiddleware {
  /** The context of one call: the one in force, with the call's `providerOptions.payi` nested in. */
  const contextOf = (params: CallOptionsLike): PayiContext => {
    const ctx = core.context();
    const own = params?.providerOptions?.payi;
    return own === undefined ? ctx : nest(ctx, checkContext(own, "providerOptions.payi"));
  };

  const start = (model: ModelLike, params: CallOptionsLike) => {
    const ctx = contextOf(params);
    const { category, resource, family } = categoryAndResource(
      String(model?.provider ?? ""),
      String(model?.modelId ?? ""),
    );
    return { ctx, category, resource, family, startedAt: Date.now(), provider: String(model?.provider ?? "") };
  };

  type Call = ReturnType<typeof start>;
  const report = (c: Call, part: Partial<Parameters<InstrumentCore["report"]>[0]>) => {
    try {
      core.report(
        {
          provider: c.provider,
          category: c.category,
          model: c.resource,
          units: {},
          startedAt: c.startedAt,
          endedAt: Date.now(),
          ...part,
        },
        c.ctx,
      );
    } catch (err) {
      core.fault(err);
    }
  };
  const attempts = new AiSdkAttempts();
  core.onShutdown(() => attempts.settleAll());

  /** A failed attempt: held when the SDK will retry it, else reported now. */
  const failed = (c: Call, attempt: Attempt | undefined, params: CallOptionsLike, err: unknown) => {
    const cut = attempt?.prior?.cut;
    const part = { request: { prompt: params?.prompt }, ...errorDetails(err), endedAt: Date.now() };
    const held = (abortedAt?: number) => {
      if (cut) return;
      if (abortedAt === undefined) return report(c, part);
      report(c, {
        ...part,
        status: undefined,
        endedAt: abortedAt,
        failure: "AbortError",
        failureDescription: `the caller aborted the call while its SDK waited to retry (last attempt: ${part.status ?? part.failure})`,
      });
    };
    try {
      if (attempts.hold(attempt, err, c.startedAt, params?.abortSignal, held)) return;
    } catch (e) {
      core.fault(e);
    }
    held();
  };
  /** The attempt starting now; a retry takes the start time of the call's first attempt. */
  const begin = (c: Call, params: CallOptionsLike): Attempt | undefined => {
    try {
      const attempt = attempts.begin(params?.prompt);
      if (attempt?.prior) c.startedAt = attempt.prior.startedAt;
      return attempt;
    } catch (e) {
      core.fault(e);
      return undefined;
    }
  };

  const unitsOf = (c: Call, usage: AiSdkUsage | undefined, modelId: string, metadata: unknown) =>
    aiSdkUsageUnits(usage, c.family, modelId, metadata) as Units;

  return {
    specificationVersion: "v3",

    async wrapGenerate({ doGenerate, params, model }) {
      const c = start(model as ModelLike, params as CallOptionsLike);
      if (c.ctx.proxy) return doGenerate();
      const attempt = begin(c, params as CallOptionsLike);
      let result: GenerateResultLike;
      try {
        result = await doGenerate();
      } catch (err) {
        failed(c, attempt, params as CallOptionsLike, err);
        throw err;
      }
      // shutdown() reported this call already, as it stood before this retry.
      if (attempt?.prior?.cut) return result;
      try {
        const modelId = result.response?.modelId ?? (model as ModelLike).modelId;
        report(c, {
          status: 200,
          units: unitsOf(c, result.usage, modelId, result.providerMetadata),
          responseId: result.response?.id,
          request: requestBody(result.request?.body, params as CallOptionsLike),
          response: result.response?.body ?? {
            content: result.content,
            finishReason: result.finishReason,
            usage: result.usage,
          },
        });
      } catch (err) {
        core.fault(err);
      }
      return result;
    },

    async wrapStream({ doStream, params, model }) {
      const c = start(model as ModelLike, params as CallOptionsLike);
      if (c.ctx.proxy) return doStream();
      const attempt = begin(c, params as CallOptionsLike);
      let result: StreamResultLike;
      try {
        result = await doStream();
      } catch (err) {
        failed(c, attempt, params as CallOptionsLike, err);
        throw err;
      }
      if (attempt?.prior?.cut) return result;
      const parts: unknown[] = [];
      let usage: AiSdkUsage | undefined;
      let metadata: unknown;
      let responseId: string | undefined;
      let modelId = (model as ModelLike).modelId;
      let firstTokenAt: number | undefined;
      let finished = false;
      let error: Failure | undefined;
      let settled = false;
      let unhook: (() => void) | undefined;
      const settle = (failure?: Failure) => {
        if (settled) return;
        settled = true;
        unhook?.();
        const f =
          failure ??
          error ??
          (finished
            ? undefined
            : { failure: "stream_incomplete", failureDescription: "the stream ended before its finish part" });
        report(c, {
          status: 200,
          units: unitsOf(c, usage, modelId, metadata),
          responseId,
          firstTokenAt,
          request: requestBody(result.request?.body, params as CallOptionsLike),
          response: parts,
          ...(f ?? {}),
        });
      };
      const read = (part: unknown) => {
        const type = field(part, "type");
        if (type === "stream-start") return;
        parts.push(part);
        if (type === "response-metadata") {
          const id = field(part, "id");
          const m = field(part, "modelId");
          if (typeof id === "string") responseId = id;
          if (typeof m === "string") modelId = m;
        } else if (type === "finish") {
          usage = field(part, "usage") as AiSdkUsage;
          metadata = field(part, "providerMetadata");
          finished = true;
        } else if (type === "error") {
          const e = field(part, "error") as { name?: string; message?: string } | undefined;
          error = { failure: e?.name || "error", failureDescription: e?.message ?? String(e) };
        } else if (type !== "raw") {
          firstTokenAt ??= Date.now();
        }
      };
      const reader = result.stream.getReader();
      const stream = new ReadableStream<unknown>(
        {
          async pull(controller) {
            let step: ReadableStreamReadResult<unknown>;
            try {
              step = await reader.read();
            } catch (err) {
              dropped.unregister(settle);
              settle({ failure: (err as Error)?.name || "stream_error", failureDescription: (err as Error)?.message });
              controller.error(err);
              return;
            }
            if (step.done) {
              dropped.unregister(settle);
              settle();
              controller.close();
              return;
            }
            try {
              read(step.value);
            } catch (err) {
              core.fault(err);
            }
            controller.enqueue(step.value);
          },
          cancel(reason) {
            dropped.unregister(settle);
            settle({ failure: "stream_abandoned", failureDescription: "the caller stopped reading the answer" });
            return reader.cancel(reason);
          },
        },
        { highWaterMark: 0 },
      );
      dropped.register(stream, whenDropped(settle, reader), settle);
      unhook = core.onShutdown(() =>
        settle({ failure: "instrument_shutdown", failureDescription: "shutdown() came before the stream ended" }),
      );
      return { ...result, stream };
    },
  };
}
