// `npm run soak:ingest`: 100,000 events through spooled queues in producer processes that are
// killed at random, against a loopback server that is killed and restarted at random and
// answers 503, 429, drops connections, stalls and refuses some events for good. Then, by
// event id: delivered, duplicated, refused (in a dead-letter file) and lost. Lost must be 0,
// and duplicates within what was in flight when something was killed. Stops by itself.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { poison, refusedOne } from "./rules.js";

const EVENTS = Number(process.env.SOAK_EVENTS ?? 100_000);
const PRODUCERS = 2;
/** As producer.ts sets the queue: what one process can have in flight is CONCURRENCY x FLUSH_AT events. */
const CONCURRENCY = 4;
const FLUSH_AT = 100;
const DEADLINE_MS = 15 * 60_000;

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const base = mkdtempSync(join(tmpdir(), "payi-soak-"));
const log = join(base, "accepted.log");
const random = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const counts = { producerKills: 0, serverKills: 0 };

function tsx(file: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", here(file), ...args], { stdio: ["ignore", "pipe", "inherit"] });
}

let port = 0;
let server: ChildProcess | undefined;
async function startServer(): Promise<void> {
  const child = tsx("./server.ts", [String(port), log]);
  port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      const m = /listening (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`soak server exited (${code})`)));
  });
  server = child;
}

interface Producer {
  child?: ChildProcess;
  done: boolean;
}
const producers: Producer[] = Array.from({ length: PRODUCERS }, () => ({ done: false }));
function startProducer(i: number): void {
  const dir = join(base, `p${i}`);
  mkdirSync(dir, { recursive: true });
  const per = Math.ceil(EVENTS / PRODUCERS);
  const child = tsx("./producer.ts", [
    `http://127.0.0.1:${port}`,
    dir,
    String(i * per),
    String(Math.min(EVENTS, (i + 1) * per)),
  ]);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.once("exit", (code, signal) => {
    if (producers[i].child !== child) return;
    producers[i].child = undefined;
    if (code === 0 && out.includes("drained")) producers[i].done = true;
    else if (signal !== "SIGKILL") {
      console.error(`producer ${i} failed (${code ?? signal}):\n${out}`);
      process.exitCode = 1;
      producers[i].done = true;
    }
  });
  producers[i].child = child;
}

await startServer();
producers.forEach((_, i) => startProducer(i));

// Chaos until every producer has drained its spool.
while (producers.some((p) => !p.done)) {
  if (Date.now() - started > DEADLINE_MS) {
    console.error("soak: deadline reached");
    process.exitCode = 1;
    break;
  }
  await sleep(random(300, 1_500));
  const roll = Math.random();
  const running = producers.map((p, i) => [p, i] as const).filter(([p]) => p.child && !p.done);
  if (roll < 0.5 && running.length) {
    const [p, i] = running[Math.floor(Math.random() * running.length)];
    p.child!.kill("SIGKILL");
    counts.producerKills++;
    await sleep(random(0, 300));
    if (!p.done) startProducer(i);
  } else if (roll < 0.8) {
    server!.kill("SIGKILL");
    await new Promise((r) => server!.once("exit", r));
    counts.serverKills++;
    await sleep(random(100, 1_500)); // an outage
    await startServer();
  }
  // Restart any producer that died between rounds (killed while the server was down, etc.).
  producers.forEach((p, i) => !p.done && !p.child && startProducer(i));
}
for (const p of producers) p.child?.kill("SIGKILL");
server?.kill("SIGKILL");

// The tally, by event id.
const delivered = new Map<number, number>();
for (const line of readFileSync(log, "utf8").split("\n"))
  if (line) delivered.set(Number(line), (delivered.get(Number(line)) ?? 0) + 1);
const deadLettered = new Set<number>();
for (let i = 0; i < PRODUCERS; i++) {
  const file = join(base, `p${i}`, "spool", "dead-letter.jsonl");
  if (!existsSync(file)) continue;
  for (const line of readFileSync(file, "utf8").split("\n"))
    if (line) deadLettered.add(Number(JSON.parse(line).event.properties.id));
}
let lost = 0;
let duplicated = 0;
let extra = 0;
let refusedDelivered = 0;
let acceptedDeadLettered = 0;
const lostIds: number[] = [];
for (let id = 0; id < EVENTS; id++) {
  const c = delivered.get(id) ?? 0;
  const refused = refusedOne(id) || poison(id);
  if (refused && c) refusedDelivered++;
  if (!refused && deadLettered.has(id)) acceptedDeadLettered++;
  if (c > 1) duplicated++, (extra += c - 1);
  if (!c && !deadLettered.has(id)) lost++, lostIds.length < 10 && lostIds.push(id);
}
const bound =
  counts.producerKills * (CONCURRENCY * FLUSH_AT + 1) + counts.serverKills * PRODUCERS * CONCURRENCY * FLUSH_AT;
const ok = lost === 0 && extra <= bound && refusedDelivered === 0 && acceptedDeadLettered === 0 && !process.exitCode;
console.log(`soak:ingest  ${EVENTS} events, ${PRODUCERS} producers, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(
  `chaos        ${counts.producerKills} producer kills (SIGKILL), ${counts.serverKills} server kills (outages of 0.1-1.5 s), and on ~7% of requests a 503, 429, dropped connection or stall`,
);
console.log(`delivered    ${delivered.size} distinct events`);
console.log(
  `refused      ${deadLettered.size} in dead-letter files (${[...Array(EVENTS).keys()].filter((id) => refusedOne(id) || poison(id)).length} refused by the server's rules; ${refusedDelivered} of them delivered, ${acceptedDeadLettered} acceptable ones dead-lettered)`,
);
console.log(
  `duplicated   ${duplicated} events delivered more than once (${extra} extra deliveries; in-flight bound ${bound} = producer kills x (concurrency x flushAt + 1) + server kills x producers x concurrency x flushAt)`,
);
console.log(`lost         ${lost}${lostIds.length ? ` (first: ${lostIds.join(", ")})` : ""}`);
console.log(ok ? "result       OK" : "result       FAIL");
if (ok) rmSync(base, { recursive: true, force: true });
else console.log(`files kept in ${base}`);
process.exit(ok ? 0 : 1);
