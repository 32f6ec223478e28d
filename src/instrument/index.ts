// The entry of `payi/instrument`: every OpenAI and Anthropic call tracked by itself, with request-scoped context.
export { instrument, Instrumentor, type InstrumentOptions } from "./instrumentor.js";
export { track, getContext, type PayiContext, type Properties } from "./context.js";
export { unitsFrom, UNIT_KINDS, LARGE_CONTEXT_TOKENS, type UnitKind, type UnitCount, type Units } from "./units.js";
export type { ModelMapping } from "./event.js";
export type { DeliveryMode } from "./delivery.js";
export type { CallReport, FunctionCall, InstrumentCore } from "./call.js";
export type { BedrockOptions, BedrockClientLike } from "./providers/bedrock.js";
export type { PayiLanguageModelMiddleware } from "./providers/ai-sdk.js";
export type { GenAiSpanProcessor } from "./providers/otel.js";
