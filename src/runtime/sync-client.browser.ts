/**
 * sync-client.ts for browser builds (see tsup.config.ts): a browser has no worker thread to
 * block on, so Payi and its response classes only explain that, and cost a bundle nothing.
 */
import { PayiError } from "./errors.js";
import type * as Node from "./sync-client.js";

export type { SyncClientOptions, SyncRequestOptions } from "./sync-client.js";

const unavailable = () =>
  new PayiError(
    "Payi, the synchronous client, needs Node.js worker threads, which this runtime does not have; use AsyncPayi.",
  );

export const Payi = class {
  constructor() {
    throw unavailable();
  }
} as unknown as typeof Node.Payi;

export const SyncRawResponse = class {
  constructor() {
    throw unavailable();
  }
} as unknown as typeof Node.SyncRawResponse;

export const SyncStreamingResponse = class {
  constructor() {
    throw unavailable();
  }
} as unknown as typeof Node.SyncStreamingResponse;
