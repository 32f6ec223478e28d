// One soak producer: enqueues its range of event ids into a spooled queue as fast as it can
// (awaiting each enqueue; overflow "wait" holds it back during an outage), records how far it got, then drains the spool and exits. Killed
// and restarted at random by the soak, it resumes after the last id it recorded.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AsyncPayi } from "../../src/index.js";

const [baseURL, dir, from, to] = process.argv.slice(2);
const progress = join(dir, "progress");
const done = existsSync(progress)
  ? readFileSync(progress, "utf8")
      .split("\n")
      .filter((l) => l.endsWith(";"))
  : [];
const start = done.length ? Number(done.at(-1)!.slice(0, -1)) + 1 : Number(from);

const client = new AsyncPayi({ apiKey: "soak-key", baseURL, maxRetries: 1, timeout: 3_000, logLevel: "error" });
const queue = client.ingest.queue({
  spool: join(dir, "spool"),
  overflow: "wait",
  flushAt: 100,
  concurrency: 4,
  flushInterval: 100,
  retryDelayMs: 20,
  maxRetryDelayMs: 500,
  onEventError: () => {},
  onError: () => {},
});

for (let id = start; id < Number(to); id++) {
  await queue.enqueue({
    category: "system.openai",
    resource: "gpt-4o",
    units: { text: { input: id, output: 1 } },
    properties: { id: String(id) },
  });
  appendFileSync(progress, `${id};\n`);
}
// Drain: what an outage left in the spool is tried again until it is settled.
for (;;) {
  await queue.flush();
  if (!queue.stats().pending) break;
  await new Promise((r) => setTimeout(r, 50));
}
await queue.shutdown();
process.stdout.write(`drained ${JSON.stringify(queue.stats())}\n`);
