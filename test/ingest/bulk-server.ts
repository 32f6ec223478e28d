// A local bulk-ingest endpoint for the queue and backfill tests: counts every event it
// accepted by its `properties.n`, and can be told to fail, stall, throttle or refuse some.
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { json, startServer, type Received, type TestServer } from "../helpers/server.js";

export interface BulkServer extends TestServer {
  /** How many times each event (by properties.n) was accepted. */
  accepted: Map<string, number>;
  /** Decides per request: return true when it has answered itself. */
  behave(fn: (req: Received, res: ServerResponse, n: number) => boolean | Promise<boolean>): void;
}

export async function startBulkServer(): Promise<BulkServer> {
  const accepted = new Map<string, number>();
  let behaviour: (req: Received, res: ServerResponse, n: number) => boolean | Promise<boolean> = () => false;
  const server = await startServer(async (req, res, n) => {
    if (await behaviour(req, res, n)) return;
    const events = JSON.parse(req.body) as { properties?: { n?: string; refuse?: string } }[];
    const errors: unknown[] = [];
    events.forEach((e, i) => {
      if (e.properties?.refuse) {
        errors.push({
          item_index: i,
          xproxy_result: {
            message: `refused ${e.properties.n}`,
            statusCode: 404,
            xproxy_error: { code: "category_resource_not_found" },
          },
        });
      } else {
        const key = String(e.properties?.n);
        accepted.set(key, (accepted.get(key) ?? 0) + 1);
      }
    });
    json(res, 200, {
      ingest_count: events.length - errors.length,
      ingest_timestamp: "2025-02-03T10:00:00Z",
      request_id: `req_bulk_${n}`,
      error_count: errors.length,
      errors,
    });
  });
  return Object.assign(server, { accepted, behave: (fn: typeof behaviour) => void (behaviour = fn) });
}

export const ev = (n: number, extra: Record<string, unknown> = {}) => ({
  category: "system.openai",
  resource: "gpt-4o",
  units: { text: { input: n, output: 1 } },
  properties: { n: String(n), ...(extra.properties as object) },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "properties")),
});

/** A bulk server and a scratch directory for the tests of one file, cleaned up after them. */
export function useBulkServer(prefix: string): { server: BulkServer; dir: string } {
  const ctx = {} as { server: BulkServer; dir: string };
  beforeAll(async () => {
    ctx.server = await startBulkServer();
    ctx.dir = mkdtempSync(join(tmpdir(), `payi-${prefix}-`));
  });
  afterAll(async () => {
    await ctx.server.close();
    rmSync(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
