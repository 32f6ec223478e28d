/**
 * How fetch.ts hands one HTTP exchange to a transport: an `Exchange`. The Node transport
 * implements it directly; any fetch (the platform's, or one given in the options) is
 * adapted by `fetchExchange`.
 */
import type { Deadline } from "./deadline.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ExchangeInit {
  method: string;
  headers: Headers;
  body: string | undefined;
  /** Aborts the exchange, body included, when the attempt's time is up or the caller aborts. */
  deadline: Deadline;
  /** The most body bytes (decompressed) a transport that decodes reads before failing. */
  maxBodyBytes?: number;
}

/** One exchange, redirects not followed (fetch.ts follows them, minding the key). */
export type Exchange = (url: string, init: ExchangeInit) => Promise<Response>;

export function fetchExchange(fetchImpl: FetchLike): Exchange {
  return (url, { method, headers, body, deadline }) =>
    fetchImpl(url, { method, headers, body, signal: deadline.signal, redirect: "manual" });
}
