/**
 * What `withRawResponse` and `withStreamingResponse` return: the HTTP answer, with the
 * body parsed only when asked.
 */
export class RawResponse<T> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly #response: Response;
  readonly #parse: (response: Response) => Promise<T>;
  #parsed: Promise<T> | undefined;

  constructor(response: Response, parse: (response: Response) => Promise<T>) {
    this.status = response.status;
    this.statusText = response.statusText;
    this.headers = response.headers;
    this.url = response.url;
    this.#response = response;
    this.#parse = parse;
  }

  get ok(): boolean {
    return this.#response.ok;
  }

  /** The body as the call would have returned it (parsed once; later calls return the same value). */
  parse(): Promise<T> {
    return (this.#parsed ??= this.#parse(this.#response));
  }
}

/** A response whose body has not been read: read it with parse(), text(), json() or stream it from `body`. */
export class StreamingResponse<T> extends RawResponse<T> {
  readonly #response: Response;
  constructor(response: Response, parse: (response: Response) => Promise<T>) {
    super(response, parse);
    this.#response = response;
  }
  /** The body as a stream of bytes, for reading it on demand. */
  get body(): ReadableStream<Uint8Array> | null {
    return this.#response.body;
  }
  get bodyUsed(): boolean {
    return this.#response.bodyUsed;
  }
  text(): Promise<string> {
    return this.#response.text();
  }
  json(): Promise<unknown> {
    return this.#response.json();
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#response.arrayBuffer();
  }
  /** Releases the connection without reading the rest of the body. */
  async close(): Promise<void> {
    await this.#response.body?.cancel();
  }
}
