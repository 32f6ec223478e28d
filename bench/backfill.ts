/**
 * npm run bench:backfill: ingest.backfill over a 1,000,000-line JSON Lines file against the
 * local keep-alive server, next to a plain loop of ingest.units over the first 20,000 of the
 * same events, in one run: events per second and peak memory.
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, printTable, startServer, type Row } from "./lib.js";

const { AsyncPayi } = (await import(
  new URL("../dist/index.js", import.meta.url).href
)) as typeof import("../src/index.js");
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const LOOP = 20_000;
const dir = mkdtempSync(join(tmpdir(), "payi-bench-"));
const file = join(dir, "events.jsonl");
const event = (n: number) => ({
  category: "system.openai",
  resource: "gpt-4o",
  units: { text: { input: 1000 + (n % 500), output: 200 } },
  user_id: `customer_${n % 97}`,
  event_timestamp: "2025-01-15T10:30:00Z",
});

const out = createWriteStream(file);
for (let n = 0; n < LINES; n++) if (!out.write(`${JSON.stringify(event(n))}\n`)) await once(out, "drain");
out.end();
await once(out, "finish");

const server = await startServer();
const peak = () => {
  let max = process.memoryUsage().rss;
  const t = setInterval(() => (max = Math.max(max, process.memoryUsage().rss)), 50);
  return () => (clearInterval(t), max);
};
try {
  const client = new AsyncPayi({ apiKey: "bench-key", baseURL: server.baseURL, maxRetries: 0 });
  const base = process.memoryUsage().rss;
  let stop = peak();
  let t = performance.now();
  const summary = await client.ingest.backfill(file, { batchSize: 1000, concurrency: 4 });
  const backfillRate = summary.accepted / ((performance.now() - t) / 1000);
  const backfillPeak = stop();

  stop = peak();
  t = performance.now();
  for (let n = 0; n < LOOP; n++) await client.ingest.units(event(n));
  const loopRate = LOOP / ((performance.now() - t) / 1000);
  const loopPeak = stop();

  if (summary.accepted !== LINES) throw new Error(`backfill accepted ${summary.accepted} of ${LINES}`);
  const rows: Row[] = [
    {
      measure: "events/s",
      subject: `backfill, ${LINES.toLocaleString("en-US")} lines, batches of 1,000 x4`,
      value: fmt(backfillRate, "/s"),
      baseline: `${fmt(loopRate, "/s")} ingest.units loop`,
      ratio: `${(backfillRate / loopRate).toFixed(1)}x`,
      target: "",
      ok: undefined,
    },
    {
      measure: "peak RSS",
      subject: "backfill / loop",
      value: `${(backfillPeak / 2 ** 20).toFixed(0)} MB`,
      baseline: `${(loopPeak / 2 ** 20).toFixed(0)} MB`,
      ratio: `start ${(base / 2 ** 20).toFixed(0)} MB`,
      target: "bounded",
      ok: undefined,
    },
  ];
  console.log(`\npayi backfill benchmark — node ${process.version}\n`);
  printTable(rows);
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
