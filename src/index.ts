// The public entry of `payi`: both clients, their options, errors, pages and every model and params type.
export { AsyncPayi } from "./client.js";
export {
  Payi,
  SyncRawResponse,
  SyncStreamingResponse,
  type SyncClientOptions,
  type SyncRequestOptions,
} from "./runtime/sync-client.js";
export { SyncPage } from "./runtime/sync-page.js";
export { Timeout } from "./runtime/timeout.js";
export { Page, PagePromise } from "./runtime/pagination.js";
export { APIPromise, type WithResponse } from "./runtime/api-promise.js";
export { RawResponse, StreamingResponse } from "./runtime/responses.js";
export type { ClientOptions, RequestOptions } from "./runtime/options.js";
export type { Logger, LogLevel } from "./runtime/logger.js";
export type { AsyncApi, RawApi, StreamingApi, SyncApi, SyncRawApi, SyncStreamingApi } from "./runtime/facade.js";
export {
  IngestQueue,
  type IngestQueueOptions,
  type IngestQueueStats,
  type BackfillOptions,
  type BackfillProgress,
  type BackfillSummary,
} from "./ingest/index.js";
export * from "./runtime/errors.js";
export type * from "./generated/api.js";
