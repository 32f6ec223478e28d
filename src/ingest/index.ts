/** What `client.ingest` offers beyond the API's own calls. */
import type { IngestUnitsParams } from "../generated/api.js";
import type { AsyncClient } from "../runtime/async-client.js";
import type { Logger } from "../runtime/logger.js";
import { backfill, type BackfillOptions, type BackfillSummary } from "./backfill.js";
import { IngestQueue, type IngestQueueOptions } from "./queue.js";

export interface IngestHelpers {
  /** A queue that accepts events without waiting for the network and delivers them in bulk batches. */
  queue(options?: IngestQueueOptions): IngestQueue;
  /** Sends a source of events (iterable, async iterable, or a JSON Lines file path) as bulk batches. */
  backfill(
    source: Iterable<IngestUnitsParams> | AsyncIterable<IngestUnitsParams> | string,
    options?: BackfillOptions,
  ): Promise<BackfillSummary>;
}

export function ingestHelpers(client: AsyncClient, logger?: Logger): IngestHelpers {
  return {
    queue: (options) => new IngestQueue(client, options, logger),
    backfill: (source, options) => backfill(client, source, options),
  };
}

export { IngestQueue, type IngestQueueOptions, type IngestQueueStats } from "./queue.js";
export type { BackfillOptions, BackfillProgress, BackfillSummary } from "./backfill.js";
