/**
 * What an AsyncPayi call returns: a promise of the parsed result that can also give the HTTP
 * response it came from. The request starts at once; the body is parsed only when the
 * promise is awaited (or `withResponse()` is called), so `asResponse()` leaves it unread.
 */
import { bodyText } from "./fetch.js";

/** An answer whose body is parsed on demand. */
export interface Answer<T> {
  response: Response;
  parse(): Promise<T>;
}

/** The parsed result of a call with the HTTP response it came from. */
export interface WithResponse<T> {
  data: T;
  response: Response;
}

export class APIPromise<T> extends Promise<T> {
  // then/catch/finally hand back plain promises.
  // Stryker disable next-line BlockStatement: then/catch/finally are overridden, so nothing reads the species
  static override get [Symbol.species]() {
    return Promise;
  }

  readonly #answer: Promise<Answer<T>>;
  #parsed: Promise<T> | undefined;

  constructor(answer: Promise<Answer<T>>) {
    // The base promise is never used: then/catch/finally read #answer instead.
    // Stryker disable next-line ArrowFunction: the base promise is never read
    super((resolve) => resolve(undefined as T));
    this.#answer = answer;
  }

  /** The HTTP response, its body not read (read it with `text()`, `json()` or `body`). */
  asResponse(): Promise<Response> {
    return this.#answer.then((a) => unread(a.response));
  }

  /** The parsed result and the HTTP response (its body read already). */
  async withResponse(): Promise<WithResponse<T>> {
    const [data, response] = await Promise.all([this.#parse(), this.#answer.then((a) => a.response)]);
    return { data, response };
  }

  #parse(): Promise<T> {
    return (this.#parsed ??= this.#answer.then((a) => a.parse()));
  }

  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#parse().then(onfulfilled, onrejected);
  }

  override catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#parse().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#parse().finally(onfinally);
  }
}

/**
 * The response with a body to read. Outside streaming, the SDK reads the body within the
 * attempt (so a failure mid-body is retried); the response handed out carries that text.
 */
export async function unread(response: Response): Promise<Response> {
  // Stryker disable next-line ConditionalExpression: an unread response copied keeps its status, headers, url and (empty) body
  if (!response.bodyUsed) return response;
  const text = await bodyText(response);
  const copy = new Response(text === "" ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has no URL of its own: the answer's is kept.
  return Object.defineProperty(copy, "url", { value: response.url });
}
