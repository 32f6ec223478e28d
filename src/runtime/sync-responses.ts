/** What `Payi.withRawResponse` and `Payi.withStreamingResponse` return: the answer of a call made in the worker. */
/** A response's status line and headers, as they cross from the worker. */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  url: string;
}

/** What `Payi.withRawResponse` returns. */
export class SyncRawResponse<T> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly #parse: () => T;
  constructor(r: WireResponse, parse: () => T) {
    this.status = r.status;
    this.statusText = r.statusText;
    this.headers = new Headers(r.headers);
    this.url = r.url;
    this.#parse = parse;
  }
  get ok(): boolean {
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: a response the sync client returns is 2xx (any other is thrown)
    return this.status >= 200 && this.status < 300;
  }
  parse(): T {
    return this.#parse();
  }
}

/** What `Payi.withStreamingResponse` returns: the body stays in the worker until read (once) or closed. */
export class SyncStreamingResponse<T> extends SyncRawResponse<T> {
  readonly #read: (as: "text" | "parse") => unknown;
  readonly #close: () => void;
  constructor(r: WireResponse, read: (as: "text" | "parse") => unknown, close: () => void) {
    super(r, () => read("parse") as T);
    this.#read = read;
    this.#close = close;
  }
  text(): string {
    return this.#read("text") as string;
  }
  json(): unknown {
    return JSON.parse(this.text());
  }
  close(): void {
    this.#close();
  }
}
