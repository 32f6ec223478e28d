/** Shared by the benchmarks: the local server in its own process, medians, and the table. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";

export interface BenchServer {
  baseURL: string;
  stop(): void;
}

/** A bench server (`script`, beside this file: the Pay-i stand-in by default) in its own process. */
export async function startServer(env: Record<string, string> = {}, script = "./server.mjs"): Promise<BenchServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { baseURL: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

/**
 * Calls per second of each task: several tinybench runs (each with a warm-up), the tasks
 * interleaved run by run so that drift on a shared machine hits them alike; the median
 * latency of each run, then the median over runs.
 */
export async function callsPerSecond(
  tasks: Record<string, () => unknown>,
  callsPerIteration = 1,
  time = 600,
  runs = 5,
): Promise<Record<string, number>> {
  const perRun: Record<string, number[]> = {};
  for (let run = 0; run < runs; run++) {
    const bench = new Bench({ time, warmupTime: 150, warmupIterations: 10 });
    const entries = Object.entries(tasks);
    for (const [name, fn] of run % 2 ? entries.reverse() : entries) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result as { state: string; period?: number };
      if (r.state !== "completed" || !r.period) throw new Error(`${task.name}: ${r.state}`);
      // Throughput: the calls of the run over its time (the mean latency), not a typical call.
      (perRun[task.name] ??= []).push((callsPerIteration * 1000) / r.period);
    }
  }
  return Object.fromEntries(Object.entries(perRun).map(([name, xs]) => [name, median(xs)]));
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Row {
  measure: string;
  subject: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  ok: boolean | undefined;
}

export function printTable(rows: Row[]): void {
  const head: (keyof Row)[] = ["measure", "subject", "value", "baseline", "ratio", "target"];
  const cells = rows.map((r) => [...head.map((h) => String(r[h])), r.ok === undefined ? "" : r.ok ? "ok" : "MISSED"]);
  const all = [[...head, ""], ...cells];
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  for (const [i, row] of all.entries()) {
    console.log(
      row
        .map((c, j) => c.padEnd(widths[j]))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

export const fmt = (n: number, unit = "") =>
  `${n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2)}${unit}`;
