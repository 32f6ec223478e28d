/**
 * The request object openapi-fetch builds for each call (its `Request` option). A WHATWG
 * Request is costly to construct on Node (undici validates, wraps the body in a stream and
 * links signals), and ours is never sent as such: fetch.ts reads its url, method, headers and
 * body and hands them to the transport, which on Node builds no WHATWG Request at all.
 */
export class OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;

  constructor(url: string, init: { method?: string; headers?: HeadersInit; body?: unknown } = {}) {
    this.url = url;
    this.method = (init.method ?? "GET").toUpperCase();
    // openapi-fetch hands a Headers of its own for each call: no copy needed.
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body === undefined || init.body === null ? undefined : String(init.body);
  }
}
