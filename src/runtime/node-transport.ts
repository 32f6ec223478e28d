/**
 * The transport on Node: undici's request API over one Agent per connect timeout, as a
 * `Exchange` (exchange.ts) for fetch.ts to drive. It does what the SDK needs of a fetch and no more:
 * it asks for compressed bodies and decodes them, names itself, and bounds the connect phase
 * (which fetch cannot). It does not follow redirects; fetch.ts
 * does, so the key never goes to another origin.
 */
import { pipeline, Transform, type Readable } from "node:stream";
import zlib from "node:zlib";
import { Agent, buildConnector, errors, request } from "undici";
import { NodeResponse } from "./node-response.js";
import type { Exchange, ExchangeInit } from "./exchange.js";

/** Set by the build (tsup.config.ts); run from source, the SDK says so. */
declare const __PAYI_VERSION__: string | undefined;
// Stryker disable next-line ConditionalExpression,StringLiteral: from source it is never set; the package tests check it.
const USER_AGENT = `payi-typescript/${typeof __PAYI_VERSION__ === "string" ? __PAYI_VERSION__ : "source"} node/${process.version}`;

export function nodeTransport(connectTimeoutMs: number): Exchange {
  // Our per-attempt deadline bounds headers and body; undici's own 300 s bounds would cut a
  // longer timeout the user chose.
  const dispatcher = new Agent({ connect: preciseConnect(connectTimeoutMs), headersTimeout: 0, bodyTimeout: 0 });
  const exchange = async (
    url: string,
    { method, headers, body, deadline, maxBodyBytes }: ExchangeInit,
  ): Promise<NodeResponse> => {
    // The deadline is an emitter undici takes as its signal (see deadline.ts).
    const answer = await request(url, {
      method: method as "GET",
      headers: headerList(headers, url),
      body,
      signal: deadline,
      dispatcher,
    });
    const received = answer.headers as Record<string, string | string[] | undefined>;
    return new NodeResponse(
      url,
      answer.statusCode,
      received,
      decoded(answer.body, received, maxBodyBytes),
      // Stryker disable next-line ConditionalExpression,StringLiteral: no operation sends a HEAD.
      method === "HEAD",
    );
  };
  // A Response in all a call reads of one (node-response.ts).
  return exchange as unknown as Exchange;
}

/** The headers as undici takes them, with what fetch would have added when absent. */
function headerList(headers: Headers, url: string): string[] {
  const list: string[] = [];
  for (const [name, value] of headers) list.push(name, value);
  // As fetch asks: brotli only over TLS, where no proxy in between can mangle it.
  if (!headers.has("accept-encoding"))
    list.push("accept-encoding", url.startsWith("https:") ? "br, gzip, deflate" : "gzip, deflate");
  if (!headers.has("user-agent")) list.push("user-agent", USER_AGENT);
  return list;
}

function decoded(
  body: Readable,
  headers: Record<string, string | string[] | undefined>,
  maxBytes = Infinity,
): Readable {
  // Lenient at the end of input, as fetch is with a body whose last block was cut short.
  const lenient = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const encoding = headers["content-encoding"];
  const coding = typeof encoding === "string" ? encoding.trim().toLowerCase() : undefined;
  const decoder =
    coding === "gzip" || coding === "x-gzip"
      ? zlib.createGunzip(lenient)
      : coding === "deflate"
        ? zlib.createInflate(lenient)
        : coding === "br"
          ? zlib.createBrotliDecompress({
              flush: zlib.constants.BROTLI_OPERATION_FLUSH,
              finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
            })
          : undefined;
  // A plain body that says its length, within the bound, needs no counting (undici holds it to
  // that length); any other (none, identity, an unknown coding) is handed on as it came, counted.
  const length = Number(headers["content-length"]);
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, a plain body counted reads the same (and maxBytes is always given).
  if (!decoder && (maxBytes === Infinity || length <= maxBytes)) return body;
  // Stryker disable next-line EqualityOperator: equivalent, a plain body of exactly the bound was handed on above.
  if (length > maxBytes && !decoder) {
    // Not read at all: the connection is closed rather than drained.
    body.on("error", () => {}).destroy();
    return failed(tooLarge(maxBytes));
  }
  return decoder ? pipeline(body, decoder, bounded(maxBytes), () => {}) : pipeline(body, bounded(maxBytes), () => {});
}

/** Passes bytes on until there are more than `maxBytes`, then fails: a small gzip body can inflate to gigabytes. */
function bounded(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
}

function tooLarge(maxBytes: number): Error {
  return Object.assign(
    new Error(`The response body is larger than maxResponseSize (${maxBytes} bytes, decompressed).`),
    { code: "PAYI_RESPONSE_TOO_LARGE" },
  );
}

function failed(err: Error): Readable {
  const t = new Transform();
  process.nextTick(() => t.destroy(err));
  return t;
}

/**
 * undici's connector with the connect timeout on a plain timer: undici's own runs on a
 * coarse clock (ticks of about half a second) and fires up to a second late.
 */
function preciseConnect(timeoutMs: number): buildConnector.connector {
  // Stryker disable next-line ObjectLiteral: undici's own bound (10 s) shows only on a connect longer than a test may wait.
  const connect = buildConnector({ timeout: 0 });
  return (options, callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      // Stryker disable next-line BooleanLiteral: equivalent, the socket destroyed next calls back no more.
      settled = true;
      // Stryker disable next-line OptionalChaining: equivalent, the connector always returns its socket.
      socket?.destroy();
      callback(
        new errors.ConnectTimeoutError(
          `Connect Timeout Error (attempted address: ${options.hostname}:${options.port}, timeout: ${timeoutMs}ms)`,
        ),
        null,
      );
    }, timeoutMs);
    const socket = (
      connect as unknown as (o: typeof options, cb: buildConnector.Callback) => import("node:net").Socket | undefined
    )(options, (...args) => {
      clearTimeout(timer);
      // Stryker disable next-line ConditionalExpression,OptionalChaining: unreachable, the timer destroyed the socket and a destroyed socket calls back no more.
      if (settled) return void args[1]?.destroy();
      // Stryker disable next-line BooleanLiteral: equivalent, undici calls back once and the timer is cleared above.
      settled = true;
      callback(...args);
    });
  };
}
