#!/usr/bin/env node
/**
 * The `payi` command. `payi backfill events.jsonl` sends a JSON Lines file of ingest events
 * in bulk batches, with a progress bar and a summary. Exit status: 0 when every event was
 * accepted, 1 when some were refused, the run was interrupted or failed, 2 for a usage error.
 */
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { AsyncPayi, PayiError } from "./index.js";

const USAGE = `Usage: payi backfill <events.jsonl> [options]
       payi mock [--port N] [--host H]   (the API's mock; payi mock --help)

Sends the events (one ingest.units params object per line) as bulk batches.
A rejects file, or a queue's dead-letter file, can be sent again as it is.
The API key comes from PAYI_API_KEY; the URL from --base-url or PAYI_BASE_URL.

Options:
  --batch-size N    events per request (default 500)
  --concurrency N   requests in flight (default 4)
  --rejects FILE    write refused events here with the reason (default <file>.rejects.jsonl)
  --checkpoint FILE resume point; rerun with the same file to continue (default <file>.checkpoint)
  --base-url URL    the API's address
  --no-progress     no progress bar
  --version         the SDK's version
  -h, --help        this text

Exit status: 0 all accepted; 1 some refused, interrupted (Ctrl-C, SIGTERM) or failed; 2 usage error.
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "mock") return (await import("./cli/mock.js")).mockCommand(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
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
        version: { type: "boolean" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, file] = positionals;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    // package.json sits one level up from both src/cli.ts and dist/cli.js.
    process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
    return 0;
  }
  if (command !== "backfill" || !file || positionals.length > 2)
    throw new UsageError(command && command !== "backfill" ? `unknown command: ${command}` : "which file?");
  const count = (name: "batch-size" | "concurrency") => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--${name} takes a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const batchSize = count("batch-size");
  const concurrency = count("concurrency");
  let client: AsyncPayi;
  try {
    client = new AsyncPayi({ baseURL: values["base-url"] });
  } catch (err) {
    throw err instanceof PayiError ? new UsageError(err.message) : err;
  }
  const rejects = values.rejects ?? `${file}.rejects.jsonl`;
  // Read while written to, it would never end.
  if (resolve(rejects) === resolve(file))
    throw new UsageError(`--rejects must not be the file being sent (${file}); send it with another --rejects`);
  const checkpoint = values.checkpoint ?? `${file}.checkpoint`;

  const showBar = !values["no-progress"] && process.stderr.isTTY;
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format:
            "backfill {bar} {percentage}% | {value}/{total} events | {accepted} accepted, {rejected} refused | ETA {eta_formatted}",
          stream: process.stderr,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(showBar ? await countLines(file) : 0, 0, { accepted: 0, rejected: 0 });
  const stop = new AbortController();
  // Either signal stops reading; batches in flight settle, the checkpoint is written and the summary printed.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  try {
    const summary = await client.ingest.backfill(file, {
      batchSize,
      concurrency,
      rejects,
      checkpoint,
      signal: stop.signal,
      onProgress: (p) => bar?.update(p.accepted + p.rejected + p.skipped, p),
    });
    bar?.stop();
    console.log(
      `${summary.interrupted ? "Interrupted" : "Done"}: ${summary.read} events read, ${summary.accepted} accepted, ${summary.rejected} refused` +
        `${summary.skipped ? `, ${summary.skipped} skipped (settled by an earlier run, per ${checkpoint})` : ""}, ${summary.batches} batches.`,
    );
    if (summary.rejected) console.log(`Refused events and their reasons: ${rejects}`);
    if (summary.interrupted) console.log(`Run the same command again to resume from ${checkpoint}.`);
    return summary.rejected || summary.interrupted ? 1 : 0;
  } catch (err) {
    bar?.stop();
    console.error(`payi: ${err instanceof PayiError ? err.message : String(err)}`);
    console.error(`Nothing accepted is lost: run the same command again to resume from ${checkpoint}.`);
    return 1;
  }
}

/** Lines in the file, for the bar's total (blank ones included: an estimate, read at disk speed). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    last = chunk[chunk.length - 1];
  }
  return last === 10 ? n : n + 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`payi: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`payi: ${err instanceof PayiError ? err.message : String(err)}`);
    process.exit(1);
  },
);
