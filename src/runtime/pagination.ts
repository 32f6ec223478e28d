/**
 * Cursor pages. A list call returns a PagePromise: await it for the first page, or iterate
 * it for every item; pages are fetched as iteration reaches them and only the current one
 * is held.
 */
import type { WithResponse } from "./api-promise.js";
import { PayiError } from "./errors.js";

export interface PageBody<Item> {
  items?: Item[] | null;
  cursor?: string | null;
}

/** Fetches the page at `cursor`, which follows `previous`. */
export type FetchPage<Item> = (cursor: string, previous: Page<Item>) => Promise<Page<Item>>;

/** What every page knows of its cursor, for the async and the sync client alike. */
export abstract class CursorPage<Item> {
  /** The items of this page. */
  readonly items: Item[];
  /** The cursor the service answered: the one to ask for the next page with. */
  readonly cursor: string | null;
  /** The cursors asked for on the way to this page, with their depth: shared along one iteration. */
  readonly #asked: Map<string, number>;
  readonly #depth: number;

  constructor(body: PageBody<Item>, requestedCursor?: string, previous?: CursorPage<Item>) {
    this.items = body.items ?? [];
    this.cursor = body.cursor ?? null;
    this.#asked = previous ? previous.#asked : new Map();
    this.#depth = previous ? previous.#depth + 1 : 0;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a cursor is asked again at its first depth unless the service's answers changed between two walks
    if (requestedCursor !== undefined && !this.#asked.has(requestedCursor))
      this.#asked.set(requestedCursor, this.#depth);
  }

  /** Whether the service has more items after this page. */
  get hasMore(): boolean {
    return this.hasNextPage();
  }

  /** The cursor of the next page, or null on the last one. */
  get nextCursor(): string | null {
    return this.hasNextPage() ? this.cursor : null;
  }

  /** An absent, null or empty cursor ends the list. */
  hasNextPage(): boolean {
    return typeof this.cursor === "string" && this.cursor !== "";
  }

  /** The cursor to fetch the next page with; throws on the last page. */
  protected nextPageCursor(): string {
    if (!this.hasNextPage()) throw new PayiError("No next page: this is the last page (check hasNextPage() first).");
    const askedAt = this.#asked.get(this.cursor!);
    // Stryker disable next-line ConditionalExpression: undefined <= a depth is false too
    if (askedAt !== undefined && askedAt <= this.#depth) {
      // Following a cursor this iteration already asked for (A, B, A...) would never end.
      throw new PayiError(
        `The service answered the same cursor again (${JSON.stringify(this.cursor)}); stopping rather than looping.`,
      );
    }
    return this.cursor!;
  }

  toJSON(): PageBody<Item> {
    return { items: this.items, cursor: this.cursor };
  }
}

export class Page<Item> extends CursorPage<Item> implements AsyncIterable<Item> {
  readonly #fetchPage: FetchPage<Item>;

  constructor(body: PageBody<Item>, fetchPage: FetchPage<Item>, requestedCursor?: string, previous?: Page<Item>) {
    super(body, requestedCursor, previous);
    this.#fetchPage = fetchPage;
  }

  /** Fetches the page after this one. */
  async getNextPage(): Promise<Page<Item>> {
    return this.#fetchPage(this.nextPageCursor(), this);
  }

  /** This page and every following one, fetched one at a time. */
  async *iterPages(): AsyncGenerator<Page<Item>, void, undefined> {
    let page: Page<Item> = this;
    for (;;) {
      yield page;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }

  /** Every item from this page on. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    for await (const page of this.iterPages()) yield* page.items;
  }
}

/**
 * A promise of the first page that is also an async iterable over every item; like every
 * AsyncPayi call, it gives the first page's HTTP response with `asResponse()` and
 * `withResponse()`.
 */
export class PagePromise<Item> extends Promise<Page<Item>> implements AsyncIterable<Item> {
  // Derived promises (then/catch) are plain promises, not page promises.
  // Stryker disable next-line BlockStatement: an undefined species makes then() build a Promise too
  static override get [Symbol.species]() {
    return Promise;
  }

  #response: (() => Promise<Response>) | undefined;

  // `this`, not `PagePromise`: a class whose body names it is emitted by esbuild under another
  // name (`_PagePromise`), which browser stack traces would show.
  static from<Item>(first: () => Promise<Page<Item>>, response?: () => Promise<Response>): PagePromise<Item> {
    let resolve!: (p: Page<Item> | PromiseLike<Page<Item>>) => void;
    const promise = new this<Item>((r) => (resolve = r));
    promise.#response = response;
    resolve(first());
    return promise;
  }

  /** The first page's HTTP response. */
  asResponse(): Promise<Response> {
    if (!this.#response) return Promise.reject(new PayiError("This page promise has no HTTP response."));
    return this.#response();
  }

  /** The first page and its HTTP response. */
  async withResponse(): Promise<WithResponse<Page<Item>>> {
    const [data, response] = await Promise.all([this, this.asResponse()]);
    return { data, response };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    const page = await this;
    yield* page;
  }
}
