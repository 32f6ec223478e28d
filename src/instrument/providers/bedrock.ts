/**
 * AWS Bedrock (`@aws-sdk/client-bedrock-runtime` 3.x): Converse, ConverseStream, InvokeModel
 * and InvokeModelWithResponseStream, seen through the client's own middleware stack. The
 * middleware is added to that client instance only; commands sent through other clients are
 * not seen.
 *
 * It sits in the `initialize` step, above the SDK's retries, so a call is one event (its final
 * attempt's, timed from the first) and it sees the command's input, its deserialized output
 * and the raw response (status, headers). A `build` step middleware notes the endpoint called
 * and, in proxy mode, adds the context's `xProxy-*` headers. Streams are handed back wrapped:
 * every event reaches the caller as it came, the caller's `break` still ends the provider's
 * stream, and a stream that fails or is left early is reported with what it had (one let go
 * unfinished when it is garbage-collected, its connection closed then; one still open at shutdown()).
 *
 * Guardrails: when a call names a guardrail and version but no trace, the trace is turned on
 * for it (on a copy of the input) since only the trace carries guardrail usage; the option
 * `guardrailTrace: false` leaves the input as given.
 */
import type { CallReport, InstrumentCore } from "../call.js";
import type { PayiContext } from "../context.js";
import type { Units } from "../units.js";
import {
  BEDROCK_CATEGORY,
  GUARDRAIL_ACTION,
  GUARDRAIL_ID,
  GUARDRAIL_INTERVENED,
  GUARDRAIL_VERSION,
  bedrockFamily,
  converseGuardrailUnits,
  converseUsageUnits,
  headerMetrics,
  invocationMetricsUnits,
  invokeBodyUnits,
  invokeGuardrailUnits,
  mergeUnits,
} from "./bedrock-usage.js";
import { anthropicUsageUnits } from "./anthropic-units.js";
import { type Units as UnitMap, field } from "./usage-fields.js";

/** The part of a Bedrock Runtime client this module uses. */
export interface BedrockClientLike {
  middlewareStack: {
    // Its overloads, one per step, are typed by the SDK; any of them fits here.
    add: (...args: never[]) => void;
    identify?(): string[];
  };
}

export interface BedrockOptions {
  /** Turn on the guardrail trace for calls that name a guardrail (default true), to count guardrail units. */
  guardrailTrace?: boolean;
}

type Operation = "converse" | "converse-stream" | "invoke" | "invoke-stream";
const OPERATIONS: Record<string, Operation> = {
  ConverseCommand: "converse",
  ConverseStreamCommand: "converse-stream",
  InvokeModelCommand: "invoke",
  InvokeModelWithResponseStreamCommand: "invoke-stream",
};

const NAME = "payiInstrument";
const STATE = Symbol.for("payi.instrument.bedrock");

type Obj = Record<string | symbol, unknown>;
type Headers_ = Record<string, string | undefined>;

/** What one call gathers before it is reported. */
interface CallState {
  ctx: PayiContext;
  startedAt: number;
  uri?: string;
  host?: string;
}

interface RawResponse {
  statusCode?: number;
  headers?: Headers_;
  /** The answer's body: a Node stream (closed with destroy()) or a web stream (cancel()). */
  body?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Guardrail id and version of a call, as properties. */
function guardrailProperties(op: Operation, input: Obj): Record<string, string> {
  const config = op.startsWith("converse") ? (field(input, "guardrailConfig") as Obj | undefined) : input;
  const id = str(field(config, "guardrailIdentifier"));
  const version = str(field(config, "guardrailVersion"));
  const props: Record<string, string> = {};
  if (id) props[GUARDRAIL_ID] = id;
  if (version) props[GUARDRAIL_VERSION] = version;
  return props;
}

/** The input with the guardrail trace on, when a guardrail is named and the trace is not set. */
function withGuardrailTrace(op: Operation, input: Obj): Obj {
  if (op.startsWith("converse")) {
    const config = field(input, "guardrailConfig") as Obj | undefined;
    if (!config?.guardrailIdentifier || !config.guardrailVersion || config.trace) return input;
    return { ...input, guardrailConfig: { ...config, trace: "enabled" } };
  }
  if (!input.guardrailIdentifier || !input.guardrailVersion || input.trace) return input;
  return { ...input, trace: "ENABLED" };
}

function intervened(props: Record<string, string>, action: string): void {
  props["system.failure"] = action;
  props["system.failure.description"] = GUARDRAIL_INTERVENED;
  props[GUARDRAIL_ACTION] = action;
}

function bytesText(b: unknown): string | undefined {
  if (b instanceof Uint8Array) return new TextDecoder().decode(b);
  return typeof b === "string" ? b : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The request as logged: InvokeModel's body is JSON text or bytes, logged parsed. */
function loggedRequest(op: Operation, input: Obj): unknown {
  if (!op.startsWith("invoke")) return input;
  const body = parseJson(bytesText(input.body));
  return { ...input, body: body ?? bytesText(input.body) };
}

/** Follows a Bedrock stream's events; `done` once its last event (usage) was seen. */
interface StreamReader {
  units: () => UnitMap;
  done: boolean;
  /** When the first event arrived, epoch ms. */
  firstTokenAt?: number;
  events: unknown[];
  properties: Record<string, string>;
  read(event: Obj): void;
}

function converseStreamReader(modelId: string, props: Record<string, string>): StreamReader {
  let units: UnitMap = {};
  const r: StreamReader = {
    units: () => units,
    done: false,
    events: [],
    properties: props,
    read(e) {
      r.events.push(e);
      const stop = str(field(e, "messageStop", "stopReason"));
      if (stop === "guardrail_intervened") intervened(props, stop);
      const metadata = field(e, "metadata");
      if (metadata) {
        units = converseUsageUnits(field(metadata, "usage"), modelId);
        converseGuardrailUnits(units, field(metadata, "trace"));
        r.done = true;
      }
    },
  };
  return r;
}

function invokeStreamReader(modelId: string, props: Record<string, string>): StreamReader {
  const family = bedrockFamily(modelId);
  let metrics: UnitMap | undefined;
  const guardrails: UnitMap = {};
  // Anthropic's own usage: input from message_start, output (and a final input) from message_delta.
  let anthropic: Obj | undefined;
  const r: StreamReader = {
    units: () => {
      const base = anthropic ? anthropicUsageUnits(anthropic) : (metrics ?? {});
      return mergeUnits({ ...structuredClone(base) }, guardrails);
    },
    done: false,
    events: [],
    properties: props,
    read(e) {
      const json = parseJson(bytesText(field(e, "chunk", "bytes")));
      if (json === undefined) return;
      r.events.push(json);
      invokeGuardrailUnits(guardrails, json);
      if (field(json, "amazon-bedrock-guardrailAction") === "INTERVENED") intervened(props, "INTERVENED");
      if (family === "anthropic") {
        const type = field(json, "type");
        if (type === "message_start") anthropic = { ...((field(json, "message", "usage") as Obj) ?? {}) };
        if (type === "message_delta") anthropic = { ...(anthropic ?? {}), ...((field(json, "usage") as Obj) ?? {}) };
      }
      const m = field(json, "amazon-bedrock-invocationMetrics") as Obj | undefined;
      if (m) {
        metrics = invocationMetricsUnits(m);
        r.done = true;
      }
    },
  };
  return r;
}

/** The stream handed to the caller: every event passed on, the call reported when it ends. */
async function* follow(
  source: AsyncIterable<unknown>,
  reader: StreamReader,
  finish: (failure?: string, description?: string) => void,
): AsyncGenerator<unknown> {
  let failure: string | undefined = "stream_abandoned";
  let description: string | undefined;
  try {
    for await (const event of source) {
      reader.firstTokenAt ??= Date.now();
      try {
        reader.read(event as Obj);
      } catch {
        // A malformed event is the caller's to see; it does not stop the reporting.
      }
      yield event;
    }
    failure = reader.done ? undefined : "stream_incomplete";
  } catch (err) {
    failure = (err as Error)?.name || "stream_error";
    description = (err as Error)?.message;
    throw err;
  } finally {
    finish(failure, description);
  }
}

/** Streams handed to callers: one collected before its end is reported by its callback. */
const dropped = new FinalizationRegistry<() => void>((fn) => fn());

/**
 * What is done when a stream is collected unfinished: it is reported (unless shutdown() did) and
 * its connection closed. Made here, not where the stream is, so that it does not keep it alive.
 */
function whenDropped(settle: (failure: string, description: string) => void, body: unknown): () => void {
  return () => {
    settle("stream_abandoned", "the caller let go of the stream before its end (it was garbage-collected)");
    const b = body as { destroy?: () => void; cancel?: () => Promise<void> } | undefined;
    if (typeof b?.destroy === "function") b.destroy();
    else if (typeof b?.cancel === "function") void b.cancel().catch(() => {});
  };
}

function errorStatus(err: unknown): number | undefined {
  const s = (err as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode;
  return typeof s === "number" ? s : undefined;
}

/** Adds the middleware to this client's stack (once), and returns the client. */
export function instrumentBedrock<C extends BedrockClientLike>(
  core: InstrumentCore,
  client: C,
  options: BedrockOptions = {},
): C {
  if (!client || typeof client !== "object" || typeof client.middlewareStack?.add !== "function") {
    throw new TypeError(
      "instrument.bedrock: client must be a BedrockRuntimeClient from @aws-sdk/client-bedrock-runtime",
    );
  }
  if (options.guardrailTrace !== undefined && typeof options.guardrailTrace !== "boolean")
    throw new TypeError("instrument.bedrock: guardrailTrace must be a boolean");
  if (client.middlewareStack.identify?.().some((n) => n.startsWith(`${NAME} `))) return client;
  const guardrailTrace = options.guardrailTrace ?? true;

  const initialize = (next: (args: Obj) => Promise<Obj>, context: Obj) => async (args: Obj) => {
    const op = OPERATIONS[String(context.commandName)];
    if (!op) return next(args);
    let ctx: PayiContext;
    try {
      ctx = core.context();
    } catch (err) {
      core.fault(err);
      return next(args);
    }
    const state: CallState = { ctx, startedAt: Date.now() };
    context[STATE] = state;
    if (ctx.proxy) return next(args);

    const given = (args.input ?? {}) as Obj;
    const input = guardrailTrace ? withGuardrailTrace(op, given) : given;
    const modelId = String(given.modelId ?? "");
    const props = guardrailProperties(op, given);
    const report = (part: Partial<CallReport>) => {
      try {
        core.report(
          {
            provider: "bedrock",
            category: BEDROCK_CATEGORY,
            model: modelId || undefined,
            units: {},
            startedAt: state.startedAt,
            endedAt: Date.now(),
            uri: state.uri,
            host: state.host,
            request: loggedRequest(op, given),
            ...(Object.keys(props).length ? { properties: props } : {}),
            ...part,
          },
          ctx,
        );
      } catch (err) {
        core.fault(err);
      }
    };

    let result: Obj;
    try {
      result = await next(input === given ? args : { ...args, input });
    } catch (err) {
      const status = errorStatus(err);
      const e = err as Error & { $metadata?: { requestId?: string } };
      report({
        status,
        responseId: e?.$metadata?.requestId,
        response: { name: e?.name, message: e?.message },
        ...(status === undefined ? { failure: e?.name || "error", failureDescription: e?.message } : {}),
      });
      throw err;
    }

    try {
      const output = result.output as Obj;
      const raw = (result.response ?? {}) as RawResponse;
      const status = raw.statusCode ?? (output?.$metadata as Obj | undefined)?.httpStatusCode;
      const responseId = str((output?.$metadata as Obj | undefined)?.requestId) ?? raw.headers?.["x-amzn-requestid"];
      const common = { status: typeof status === "number" ? status : 200, responseId };

      if (op === "converse") {
        const units = converseUsageUnits(output.usage, modelId);
        converseGuardrailUnits(units, output.trace);
        if (output.stopReason === "guardrail_intervened") intervened(props, "guardrail_intervened");
        const { $metadata: _m, ...response } = output;
        report({ ...common, units: units as Units, response });
      } else if (op === "invoke") {
        const text = bytesText(output.body);
        const body = parseJson(text);
        let units: UnitMap = invokeBodyUnits(bedrockFamily(modelId), body);
        if (!Object.keys(units).length) units = invocationMetricsUnits(headerMetrics(raw.headers ?? {}));
        invokeGuardrailUnits(units, body);
        if (field(body, "amazon-bedrock-guardrailAction") === "INTERVENED") intervened(props, "INTERVENED");
        report({ ...common, units: units as Units, response: body ?? text });
      } else {
        const key = op === "converse-stream" ? "stream" : "body";
        const source = output[key] as AsyncIterable<unknown> | undefined;
        if (!source || typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function") {
          report({ ...common, failure: "no_stream" });
          return result;
        }
        const reader =
          op === "converse-stream" ? converseStreamReader(modelId, props) : invokeStreamReader(modelId, props);
        let reported = false;
        let unhook: (() => void) | undefined;
        const settle = (failure?: string, description?: string) => {
          if (reported) return;
          reported = true;
          unhook?.();
          report({
            ...common,
            units: reader.units() as Units,
            response: reader.events,
            firstTokenAt: reader.firstTokenAt,
            ...(failure ? { failure, failureDescription: description } : {}),
          });
        };
        const stream = follow(source, reader, (failure, description) => {
          dropped.unregister(settle);
          settle(failure, description);
        });
        // A stream let go unfinished (no break) is reported when collected; one still open at shutdown() then.
        dropped.register(stream, whenDropped(settle, raw.body), settle);
        unhook = core.onShutdown(() => settle("instrument_shutdown", "shutdown() came before the stream ended"));
        output[key] = stream;
      }
    } catch (err) {
      core.fault(err);
    }
    return result;
  };

  const build = (next: (args: Obj) => Promise<Obj>, context: Obj) => async (args: Obj) => {
    const state = context[STATE] as CallState | undefined;
    const req = args.request as
      | { protocol?: string; hostname?: string; port?: number; path?: string; headers?: Record<string, string> }
      | undefined;
    if (state && req?.hostname) {
      try {
        state.host = req.port ? `${req.hostname}:${req.port}` : req.hostname;
        state.uri = `${req.protocol ?? "https:"}//${state.host}${req.path ?? ""}`;
        if (state.ctx.proxy && req.headers) {
          const h = new Headers();
          core.proxyHeaders(state.ctx, h);
          h.forEach((v, k) => (req.headers![k] = v));
        }
      } catch (err) {
        core.fault(err);
      }
    }
    return next(args);
  };

  const add = client.middlewareStack.add.bind(client.middlewareStack) as unknown as (
    mw: unknown,
    o: { step: string; name: string; priority: string },
  ) => void;
  add(initialize, { step: "initialize", name: NAME, priority: "high" });
  add(build, { step: "build", name: `${NAME}Endpoint`, priority: "low" });
  return client;
}
