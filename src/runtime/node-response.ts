/**
 * What the Node transport answers: the part of a fetch `Response` that the runtime and its
 * users read, over undici's request() result. A call that is parsed reads its body once, as
 * text, straight from undici's stream; the WHATWG `Headers` and `ReadableStream` a fetch
 * Response carries are built only when something asks for them.
 */
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";

/** Statuses whose responses have no body, whatever the wire says (as fetch treats them). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The body as undici hands it (which can read itself as text), or a decoded stream. */
type Source = Readable & { text?: () => Promise<string> };

export class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly type = "basic" as const;
  readonly redirected = false;
  readonly #rawHeaders: Record<string, string | string[] | undefined>;
  #headers: Headers | undefined;
  #source: Source | null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #read = false;

  constructor(
    url: string,
    status: number,
    rawHeaders: Record<string, string | string[] | undefined>,
    source: Source,
    noBody: boolean,
  ) {
    this.url = url;
    this.status = status;
    // undici's request API does not pass the reason phrase on; the standard one stands in.
    this.statusText = STATUS_CODES[status] ?? "";
    this.#rawHeaders = rawHeaders;
    // A body nobody reads must not take the process down when its connection drops: the
    // error reaches whoever reads it (text(), the stream), and is dropped otherwise.
    source.on("error", ignore);
    if (noBody || NULL_BODY.has(status)) {
      // Drained, so the connection goes back to the pool.
      source.resume();
      this.#source = null;
    } else {
      this.#source = source;
    }
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      for (const name in this.#rawHeaders) {
        const value = this.#rawHeaders[name];
        // Stryker disable next-line ConditionalExpression: equivalent, undici gives no header an undefined value.
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else headers.append(name, value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /**
   * The body as a web stream, made on first access. Once the body was read as a whole it is
   * null: nothing is left to stream.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream) return this.#stream;
    if (!this.#source || this.#read) return null;
    this.#stream = webStream(this.#source);
    return this.#stream;
  }

  /** Calls `done` once the body has been read to its end, cancelled or has failed. */
  whenDone(done: () => void): void {
    if (!this.#source || this.#source.closed) return done();
    this.#source.once("close", done);
  }

  get bodyUsed(): boolean {
    return this.#read || (this.#stream?.locked ?? false);
  }

  async text(): Promise<string> {
    return (
      (await this.#bytes((source) =>
        source.text ? source.text() : collect(source).then((b) => b.toString("utf8")),
      )) ?? ""
    );
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#bytes(collect);
    if (!bytes) return new ArrayBuffer(0);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** Reads the whole body once, from the web stream if someone took it, else from the source. */
  async #bytes<T>(read: (source: Source) => Promise<T>): Promise<T | undefined> {
    if (this.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    this.#read = true;
    // Stryker disable next-line ConditionalExpression: equivalent, the web stream pulls only when read, so unread the source holds the whole body still.
    if (this.#stream) return read(Readable.fromWeb(this.#stream as import("node:stream/web").ReadableStream));
    if (!this.#source) return undefined;
    return read(this.#source);
  }
}

/**
 * A pull-based web stream over a Node stream. Not Readable.toWeb: on Node 20 it keeps
 * enqueuing after the web stream is cancelled, which throws in the process.
 */
function webStream(source: Readable): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) return controller.close();
        // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: a Buffer copied is the same.
        controller.enqueue(typeof value === "string" ? Buffer.from(value) : value);
      },
      cancel() {
        // Releases the connection (an iterator that never started would not).
        source.destroy();
      },
    },
    // Stryker disable next-line ObjectLiteral: equivalent, a first pull made early reads the same bytes in the same order.
    { highWaterMark: 0 },
  );
}

function ignore(): void {}

async function collect(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: a Buffer copied is the same.
  for await (const chunk of source) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
