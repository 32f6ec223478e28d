/**
 * npm run bench: what the SDK costs over the wire it rides on, each figure measured side by
 * side with its baseline in this run, against a local keep-alive server in another process.
 * Prints a table of ratios; see bench/README.md for how to read it.
 */
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import createClient from "openapi-fetch";
import { build } from "esbuild";
import { Agent, request } from "undici";
import { createSyncFn } from "synckit";
// The clients as users get them: the build (npm run bench builds first).
const { AsyncPayi, Payi } = (await import(
  new URL("../dist/index.js", import.meta.url).href
)) as typeof import("../src/index.js");
import type { paths } from "../src/generated/openapi.js";
import { operations } from "../src/generated/operations.js";
import { normalize } from "../src/runtime/params.js";
import { validateParams } from "../src/runtime/validate.js";
import { instrumentRows } from "./instrument.js";
import { callsPerSecond, fmt, median, printTable, startServer, type Row } from "./lib.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const rows: Row[] = [];
const row = (
  measure: string,
  subject: string,
  value: number,
  baseline: number,
  unit: string,
  target: string,
  ok?: (ratio: number) => boolean,
) => {
  const ratio = value / baseline;
  rows.push({
    measure,
    subject,
    value: fmt(value, unit),
    baseline: fmt(baseline, unit),
    ratio: `${ratio.toFixed(2)}x`,
    target,
    ok: ok?.(ratio),
  });
};

const event = {
  category: "system.openai",
  resource: "gpt-4o",
  units: { text: { input: 1200, output: 350 } },
  end_to_end_latency_ms: 840,
  http_status_code: 200,
  user_id: "customer_abc123",
};
const key = "bench-key";

async function ingest(baseURL: string) {
  const client = new AsyncPayi({ apiKey: key, baseURL, maxRetries: 0 });
  const direct = createClient<paths>({ baseUrl: baseURL, headers: { "xProxy-api-key": key } });
  const raw = () =>
    fetch(`${baseURL}/api/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", "xProxy-api-key": key },
      body: JSON.stringify(event),
    }).then((r) => r.json());
  const sdk = () => client.ingest.units(event);
  const viaOpenapiFetch = () => direct.POST("/api/v1/ingest", { body: event });
  // The transport AsyncPayi rides on under Node, used directly: what is left is the SDK's own cost.
  const agent = new Agent();
  const transport = () =>
    request(`${baseURL}/api/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", "xProxy-api-key": key },
      body: JSON.stringify(event),
      dispatcher: agent,
    }).then((r) => r.body.json());

  for (const concurrency of [1, 64]) {
    const times = <T>(fn: () => Promise<T>) =>
      concurrency === 1 ? fn : () => Promise.all(Array.from({ length: concurrency }, fn));
    const r = await callsPerSecond(
      { raw: times(raw), openapiFetch: times(viaOpenapiFetch), transport: times(transport), sdk: times(sdk) },
      concurrency,
    );
    row(
      "ingest.units calls/s",
      `AsyncPayi vs raw fetch, c=${concurrency}`,
      r.sdk,
      r.raw,
      "/s",
      ">= 0.9x",
      (x) => x >= 0.9,
    );
    row(
      "ingest.units calls/s",
      `AsyncPayi vs openapi-fetch, c=${concurrency}`,
      r.sdk,
      r.openapiFetch,
      "/s",
      "",
      undefined,
    );
    row(
      "ingest.units calls/s",
      `AsyncPayi vs undici request(), c=${concurrency}`,
      r.sdk,
      r.transport,
      "/s",
      "",
      undefined,
    );
  }

  // Validation: the same call, and the share of it that checking the params takes.
  const spec = operations["ingest.units"];
  const validateOnly = async () => {
    const { value, issues } = normalize(spec, event);
    await validateParams("ingest.units", value, issues);
  };
  const v = await callsPerSecond({ call: sdk, validate: validateOnly });
  const perCall = 1 / v.call;
  const perValidation = 1 / v.validate;
  const overhead = perValidation / perCall;
  rows.push({
    measure: "validation overhead",
    subject: "validated call vs the same call minus validation",
    value: `${(perValidation * 1e6).toFixed(1)} µs`,
    baseline: `${(perCall * 1e6).toFixed(1)} µs/call`,
    ratio: `${(overhead * 100).toFixed(1)} %`,
    target: "< 5 %",
    ok: overhead < 0.05,
  });

  // The sync client: each call crosses to its worker thread and back.
  const sync = new Payi({ apiKey: key, baseURL, maxRetries: 0 });
  // Starts the worker and warms it as the main thread is warm by now: a fresh worker runs
  // its first few hundred calls unoptimized.
  for (let i = 0; i < 1000; i++) sync.ingest.units(event);
  // The sync task is a plain function, so tinybench times it synchronously.
  // A fresh AsyncPayi too: the one above holds the 64 connections of the c=64 runs.
  const single = new AsyncPayi({ apiKey: key, baseURL, maxRetries: 0 });
  // What Payi's hand-off is made of: a bare synckit worker answering at once, and making the same call.
  const bare = createSyncFn(fileURLToPath(new URL("./synckit-worker.mjs", import.meta.url))) as (
    kind: "echo" | "call",
    options: object,
    params: object,
  ) => unknown;
  const options = { apiKey: key, baseURL, maxRetries: 0 };
  for (let i = 0; i < 1000; i++) bare("call", options, event);
  const s = await callsPerSecond(
    {
      async: () => single.ingest.units(event),
      sync: () => sync.ingest.units(event),
      bareCall: () => bare("call", options, event),
      echo: () => bare("echo", options, event),
      // More runs than elsewhere: this ratio moves most from run to run on a shared machine.
    },
    1,
    600,
    9,
  );
  row("sync vs async calls/s", "Payi vs AsyncPayi, c=1", s.sync, s.async, "/s", ">= 0.7x", (x) => x >= 0.7);
  // Payi's own bridge (one worker, per-call budgets, a liveness check between wait slices) against synckit's.
  row(
    "sync vs async calls/s",
    "Payi vs a bare synckit worker making the call",
    s.sync,
    s.bareCall,
    "/s",
    ">= 0.9x",
    (x) => x >= 0.9,
  );
  rows.push({
    measure: "sync hand-off",
    subject: "synckit round trip with the call's params, no call (the floor of any Payi call)",
    value: `${(1e6 / s.echo).toFixed(1)} µs`,
    baseline: `${(1e6 / s.async).toFixed(1)} µs/async call`,
    ratio: `${((s.async / s.echo) * 100).toFixed(0)} %`,
    target: "",
    ok: undefined,
  });
}

/**
 * The Python SDK (Pay-i/pay-i-python) on the same call against the same server, in this run,
 * when a Python that can import it is at hand: PAYI_PYTHON, or python3 (`pip install payi`).
 * Python runs first, then ours; both clients keep their defaults apart from maxRetries 0.
 */
async function python(baseURL: string) {
  const py = process.env.PAYI_PYTHON ?? "python3";
  try {
    execFileSync(py, ["-c", "import payi"], { stdio: "ignore" });
  } catch {
    rows.push({
      measure: "vs the Python SDK",
      subject: `skipped: ${py} cannot import payi (pip install payi, or set PAYI_PYTHON)`,
      value: "",
      baseline: "",
      ratio: "",
      target: "> 1x",
      ok: undefined,
    });
    return;
  }
  const script = fileURLToPath(new URL("./python_ingest.py", import.meta.url));
  const theirs = JSON.parse(execFileSync(py, [script, baseURL], { encoding: "utf8" })) as {
    sync_c1: number;
    async_c1: number;
    async_c64: number;
  };
  const client = new AsyncPayi({ apiKey: key, baseURL, maxRetries: 0 });
  const sync = new Payi({ apiKey: key, baseURL, maxRetries: 0 });
  for (let i = 0; i < 1000; i++) sync.ingest.units(event); // starts and warms the worker
  const c1 = await callsPerSecond({ sdk: () => client.ingest.units(event) });
  const c64 = await callsPerSecond(
    { sdk: () => Promise.all(Array.from({ length: 64 }, () => client.ingest.units(event))) },
    64,
  );
  const s = await callsPerSecond({ sync: () => sync.ingest.units(event) });
  const faster = (x: number) => x > 1;
  row("vs the Python SDK", "AsyncPayi vs Python AsyncPayi, c=1", c1.sdk, theirs.async_c1, "/s", "> 1x", faster);
  row("vs the Python SDK", "AsyncPayi vs Python AsyncPayi, c=64", c64.sdk, theirs.async_c64, "/s", "> 1x", faster);
  row("vs the Python SDK", "Payi vs Python Payi (sync), c=1", s.sync, theirs.sync_c1, "/s", "> 1x", faster);
}

async function pagination() {
  const total = 100_000;
  const server = await startServer({ BENCH_ITEMS: String(total) });
  try {
    const client = new AsyncPayi({ apiKey: key, baseURL: server.baseURL, maxRetries: 0 });
    const rawAll = async () => {
      let cursor: string | null = null;
      let n = 0;
      do {
        const res = await fetch(`${server.baseURL}/api/v1/limits?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
          headers: { "xProxy-api-key": key },
        });
        const page = (await res.json()) as { items: unknown[]; cursor: string | null };
        n += page.items.length;
        cursor = page.cursor;
      } while (cursor);
      return n;
    };
    const gc = (globalThis as { gc?: () => void }).gc;
    const runs: { sdk: number; raw: number; heap: number }[] = [];
    for (let run = 0; run < 3; run++) {
      let t = performance.now();
      const rawCount = await rawAll();
      const rawRate = rawCount / ((performance.now() - t) / 1000);
      gc?.();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      let n = 0;
      t = performance.now();
      for await (const item of client.limits.list({ limit: 100 })) {
        // What the iteration retains: sampled after a collection, every 50 pages.
        if (item && ++n % 5_000 === 0) {
          gc?.();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      }
      if (n !== total || rawCount !== total) throw new Error(`expected ${total} items, got ${n} and ${rawCount}`);
      runs.push({ sdk: n / ((performance.now() - t) / 1000), raw: rawRate, heap: (peak - base) / 2 ** 20 });
    }
    row(
      "auto-pagination items/s",
      "100,000 items, pages of 100",
      median(runs.map((r) => r.sdk)),
      median(runs.map((r) => r.raw)),
      "/s",
      "",
      undefined,
    );
    rows.push({
      measure: "auto-pagination heap growth",
      subject: `retained while iterating, peak over start${gc ? "" : " (needs --expose-gc)"}`,
      value: `${median(runs.map((r) => r.heap)).toFixed(1)} MB`,
      baseline: "",
      ratio: "",
      target: "< 30 MB",
      ok: median(runs.map((r) => r.heap)) < 30,
    });
  } finally {
    server.stop();
  }
}

async function coldStart() {
  const dist = new URL("../dist/index.js", import.meta.url).href;
  const timeImport = (specifier: string) => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`,
      ],
      { cwd: root },
    );
    return Number(String(out).trim());
  };
  const sdk: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < 7; i++) {
    sdk.push(timeImport(dist));
    base.push(timeImport("openapi-fetch"));
  }
  rows.push({
    measure: "cold start",
    subject: 'import { AsyncPayi } from "payi" (dist)',
    value: `${median(sdk).toFixed(1)} ms`,
    baseline: `${median(base).toFixed(1)} ms openapi-fetch`,
    ratio: `${(median(sdk) / median(base)).toFixed(2)}x`,
    target: "< 50 ms",
    ok: median(sdk) < 50,
  });

  const size = async (contents: string) => {
    const result = await build({
      stdin: { contents, resolveDir: root, loader: "ts" },
      bundle: true,
      minify: true,
      write: false,
      format: "esm",
      platform: "browser",
      logLevel: "silent",
    });
    // As size-limit measures it (gzip level 9; 1 kB = 1000 bytes), so this row and `npm run size` agree.
    return gzipSync(result.outputFiles[0].contents, { level: 9 }).length / 1000;
  };
  // The entry size-limit writes for `import: "{ AsyncPayi }"`.
  const sdkSize = await size(`import { AsyncPayi } from "./dist/browser/index.js";\nconsole.log(AsyncPayi);`);
  const baseSize = await size(`export { default } from "openapi-fetch";`);
  rows.push({
    measure: "bundle size",
    subject: "AsyncPayi only, min+gzip",
    value: `${sdkSize.toFixed(2)} kB`,
    baseline: `${baseSize.toFixed(2)} kB openapi-fetch`,
    ratio: `${(sdkSize / baseSize).toFixed(1)}x`,
    target: "< 25 kB",
    ok: sdkSize < 25,
  });
}

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const server = await startServer();
try {
  if (want("ingest")) await ingest(server.baseURL);
  if (want("python")) await python(server.baseURL);
  if (want("instrument")) rows.push(...(await instrumentRows()));
} finally {
  server.stop();
}
if (want("pagination")) await pagination();
if (want("cold")) await coldStart();
console.log(
  `\npayi benchmarks — node ${process.version}, ${(await import("node:os")).cpus()[0]?.model ?? "unknown cpu"} x${(await import("node:os")).cpus().length}\n`,
);
printTable(rows);
