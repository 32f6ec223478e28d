// Waiting on a queue from the outside, and what its logger was told.
import type { Logger } from "../../src/index.js";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `cond` holds; throws after `ms`. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(10);
  }
}

/** "done" when the promise settles within `ms`, else "still waiting". */
export const within = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => "done"), sleep(ms).then(() => "still waiting")]);

/** Whether an await let the event loop turn (I/O, timers): true when a setImmediate queued before it ran first. */
export async function yielded(p: () => Promise<unknown>): Promise<boolean> {
  let turned = false;
  const t = setImmediate(() => (turned = true));
  await p();
  clearImmediate(t);
  return turned;
}

/** A logger that records what it was told, by level. */
export function logs() {
  const seen: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void seen.push({ level, message });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { seen, logger, warnings: () => seen.filter((s) => s.level === "warn").map((s) => s.message) };
}

/** The events of a bulk request body, by their properties.n. */
export const numbers = (body: string) =>
  (JSON.parse(body) as { properties: { n: string } }[]).map((e) => Number(e.properties.n));
