/**
 * `npm run bench -- instrument`: an instrumented OpenAI client against the plain one, on a
 * local stand-in for OpenAI (bench/provider.mjs, its own process), in the same run: calls per
 * second for JSON and streamed chat completions while Pay-i (a second bench/provider.mjs)
 * takes the events, and the latency percentiles while Pay-i is down (its port refuses
 * connections).
 */
import net from "node:net";
import OpenAI from "openai";
import { callsPerSecond, startServer, type Row } from "./lib.js";

// As users get them: the build (npm run bench builds first).
const { AsyncPayi } = (await import(
  new URL("../dist/index.js", import.meta.url).href
)) as typeof import("../src/index.js");
const { instrument } = (await import(
  new URL("../dist/instrument.js", import.meta.url).href
)) as typeof import("../src/instrument/index.js");

const messages = [{ role: "user" as const, content: "What are the key features of quantum computing?" }];

/** A loopback port nothing listens on: a Pay-i that is down. */
async function refusedURL(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function instrumentRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const ratioRow = (
    measure: string,
    subject: string,
    value: number,
    baseline: number,
    unit: string,
    target: string,
    ok?: (r: number) => boolean,
  ) => {
    const r = value / baseline;
    const f = (n: number) => `${n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2)}${unit}`;
    rows.push({
      measure,
      subject,
      value: f(value),
      baseline: f(baseline),
      ratio: `${r.toFixed(2)}x`,
      target,
      ok: ok?.(r),
    });
  };
  const provider = await startServer({}, "./provider.mjs");
  const payi = await startServer({}, "./provider.mjs");
  const payiURL = payi.baseURL;
  let errors = 0;
  try {
    const openai = () => new OpenAI({ apiKey: "sk-bench", baseURL: `${provider.baseURL}/v1`, maxRetries: 0 });
    const plain = openai();
    const up = instrument(new AsyncPayi({ apiKey: "bench-key", baseURL: payiURL, maxRetries: 0 }), {
      onError: () => errors++,
    });
    const tracked = up.openai(openai());
    const chat = (c: OpenAI) => () => c.chat.completions.create({ model: "gpt-4o", messages });
    const stream = (c: OpenAI) => async () => {
      let n = 0;
      for await (const _ of await c.chat.completions.create({ model: "gpt-4o", messages, stream: true })) n++;
      return n;
    };
    const parallel = (fn: () => Promise<unknown>, n: number) => () => Promise.all(Array.from({ length: n }, fn));

    const json = await callsPerSecond({ plain: chat(plain), tracked: chat(tracked) });
    ratioRow(
      "instrumented calls/s",
      "chat completion (JSON), c=1, Pay-i up",
      json.tracked,
      json.plain,
      "/s",
      ">= 0.95x",
      (r) => r >= 0.95,
    );
    const json16 = await callsPerSecond({ plain: parallel(chat(plain), 16), tracked: parallel(chat(tracked), 16) }, 16);
    ratioRow(
      "instrumented calls/s",
      "chat completion (JSON), c=16, Pay-i up",
      json16.tracked,
      json16.plain,
      "/s",
      ">= 0.95x",
      (r) => r >= 0.95,
    );
    const streamed = await callsPerSecond({ plain: stream(plain), tracked: stream(tracked) });
    ratioRow(
      "instrumented calls/s",
      "chat completion streamed (8 chunks), c=1, Pay-i up",
      streamed.tracked,
      streamed.plain,
      "/s",
      ">= 0.95x",
      (r) => r >= 0.95,
    );
    // CPU of this process per call (blocks of 1,000 calls), events built and delivered included (each tracked block ends
    // with flush()): less moved by other processes on the machine than calls/s, which waits on them.
    const cpuPerCall = async (tasks: Record<"plain" | "tracked", () => Promise<unknown>>, calls: number) => {
      const per: Record<string, number[]> = { plain: [], tracked: [] };
      for (let run = 0; run < 7; run++) {
        for (const which of run % 2 ? (["tracked", "plain"] as const) : (["plain", "tracked"] as const)) {
          const t = process.cpuUsage();
          for (let i = 0; i < calls; i++) await tasks[which]();
          if (which === "tracked") await up.flush();
          const d = process.cpuUsage(t);
          per[which].push((d.user + d.system) / calls);
        }
      }
      // The first run of each warms up; the least of the rest is the call's own cost, the least disturbed.
      return { plain: Math.min(...per.plain.slice(1)), tracked: Math.min(...per.tracked.slice(1)) };
    };
    for (const [name, a, b, n] of [
      ["chat completion (JSON), c=16", parallel(chat(plain), 16), parallel(chat(tracked), 16), 16],
      ["chat completion streamed (8 chunks), c=1", stream(plain), stream(tracked), 1],
    ] as const) {
      const cpu = await cpuPerCall({ plain: a, tracked: b }, Math.ceil(1000 / n));
      ratioRow("client CPU per call", name, cpu.tracked / n, cpu.plain / n, " µs", "");
    }
    await up.shutdown();

    // Pay-i down: the same calls, interleaved one by one with the plain client's, every latency kept.
    const down = instrument(new AsyncPayi({ apiKey: "bench-key", baseURL: await refusedURL() }), {
      onError: () => errors++,
    });
    const trackedDown = down.openai(openai());
    for (const [name, make] of [
      ["JSON", chat],
      ["streamed", stream],
    ] as const) {
      const a = make(plain);
      const b = make(trackedDown);
      const times = { plain: [] as number[], tracked: [] as number[] };
      for (let i = 0; i < 300; i++) await Promise.all([a(), b()]);
      for (let i = 0; i < 4000; i++) {
        const order = i % 2 ? (["plain", "tracked"] as const) : (["tracked", "plain"] as const);
        for (const which of order) {
          const t = performance.now();
          await (which === "plain" ? a() : b());
          times[which].push(performance.now() - t);
        }
      }
      for (const p of [50, 99]) {
        ratioRow(
          `latency p${p} while Pay-i is down`,
          `chat completion (${name}), 4,000 calls each`,
          percentile(times.tracked, p) * 1000,
          percentile(times.plain, p) * 1000,
          " µs",
          p === 99 ? "<= 1.10x" : "",
          p === 99 ? (r) => r <= 1.1 : undefined,
        );
      }
    }
    await down.shutdown({ timeoutMs: 100 });
  } finally {
    provider.stop();
    payi.stop();
  }
  rows.push({
    measure: "instrumentation faults",
    subject: "onError calls (Pay-i down: failed batches and drops)",
    value: String(errors),
    baseline: "",
    ratio: "",
    target: "",
    ok: undefined,
  });
  return rows;
}
