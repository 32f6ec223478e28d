#!/usr/bin/env node
/**
 * The `payi` command. `payi backfill events.jsonl` sends a JSON Lines file of ingest events
 * in bulk batches, with a progress bar and a summary; it exits 1 when events were refused.
 */
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { AsyncPayi, PayiError } from "./index.js";

const USAGE = `Usage: payi backfill <events.jsonl> [options]

Sends the events (one ingest.units params object per line) as bulk batches.
The API key comes from PAYI_API_KEY; the URL from --base-url or PAYI_BASE_URL.

Options:
  --batch-size N    events per request (default 500)
  --concurrency N   requests in flight (default 4)
  --rejects FILE    write refused events here with the reason (default <file>.rejects.jsonl)
  --checkpoint FILE resume point; rerun with the same file to continue (default <file>.checkpoint)
  --base-url URL    the API's address
  --no-progress     no progress bar
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "batch-size": { type: "string" },
      concurrency: { type: "string" },
      rejects: { type: "string" },
      checkpoint: { type: "string" },
      "base-url": { type: "string" },
      "no-progress": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, file] = positionals;
  if (values.help || command !== "backfill" || !file) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const client = new AsyncPayi({ baseURL: values["base-url"] });
  const rejects = values.rejects ?? `${file}.rejects.jsonl`;
  const checkpoint = values.checkpoint ?? `${file}.checkpoint`;
  const bar = values["no-progress"] || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({ format: "backfill {bar} {value} events | {accepted} accepted, {rejected} refused | {batches} batches", stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar?.start(0, 0, { accepted: 0, rejected: 0, batches: 0 });
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  const summary = await client.ingest.backfill(file, {
    batchSize: values["batch-size"] ? Number(values["batch-size"]) : undefined,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    rejects,
    checkpoint,
    signal: stop.signal,
    onProgress: (p) => {
      bar?.setTotal(p.read);
      bar?.update(p.accepted + p.rejected + p.skipped, p);
    },
  });
  bar?.stop();
  console.log(
    `${summary.interrupted ? "Interrupted" : "Done"}: ${summary.read} events read, ${summary.accepted} accepted, ${summary.rejected} refused` +
      `${summary.skipped ? `, ${summary.skipped} skipped (already sent, per ${checkpoint})` : ""}, ${summary.batches} batches.`,
  );
  if (summary.rejected) console.log(`Refused events and their reasons: ${rejects}`);
  if (summary.interrupted) console.log(`Run the same command again to resume from ${checkpoint}.`);
  return summary.rejected || summary.interrupted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof PayiError ? `payi: ${err.message}` : err);
    process.exit(1);
  },
);
