/**
 * The default transport. On Node it is undici's request API over an Agent of ours
 * (node-transport.ts): the fetch API has no connect-timeout knob, and on Node it costs
 * about twice the time per call that the request API does. Elsewhere (Bun, Deno, browsers)
 * it is the platform's fetch, and the whole-attempt timeout is the only bound.
 */
import { fetchExchange, type Exchange } from "./exchange.js";

const isNode =
  // Stryker disable next-line ConditionalExpression,StringLiteral: only a runtime without a process tells, and the tests run on Node.
  typeof process !== "undefined" &&
  typeof process.versions?.node === "string" &&
  !(process.versions as Record<string, string | undefined>).bun &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined";

const transports = new Map<number, Promise<Exchange>>();

/**
 * The exchange with the connect timeout applied where the runtime allows it. One per
 * connect timeout, shared by every client, so connections are pooled.
 */
export function defaultExchange(connectTimeoutMs: number): Promise<Exchange> {
  if (!isNode) return Promise.resolve(fetchExchange(globalThis.fetch.bind(globalThis)));
  let exchange = transports.get(connectTimeoutMs);
  if (!exchange) {
    exchange = import("./node-transport.js").then(
      (m) => m.nodeTransport(connectTimeoutMs),
      // Bundled as ESM, undici cannot load (its require() of Node's builtins has no require to
      // call): Node's own fetch does the job, the connect phase bounded by the attempt's timeout.
      () => fetchExchange(globalThis.fetch.bind(globalThis)),
    );
    transports.set(connectTimeoutMs, exchange);
  }
  return exchange;
}
