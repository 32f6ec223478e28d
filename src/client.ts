/**
 * AsyncPayi: every API call (runtime/async-client.ts), with the ingest queue and backfill
 * (ingest/) plugged into `client.ingest` from here, above both.
 */
import { ingestHelpers, type IngestHelpers } from "./ingest/index.js";
import { AsyncClient, clientLogger } from "./runtime/async-client.js";
import type { AsyncApi } from "./runtime/facade.js";
import type { ClientOptions } from "./runtime/options.js";

export interface AsyncPayi {
  ingest: AsyncApi["ingest"] & IngestHelpers;
}

export class AsyncPayi extends AsyncClient {
  constructor(options: ClientOptions = {}) {
    super(options);
    Object.assign(this.ingest, ingestHelpers(this, clientLogger(this)));
  }
}
