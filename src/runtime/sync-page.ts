/** A page of the sync client: a plain iterable over every item, fetching pages as iteration reaches them. */
import { PayiError } from "./errors.js";

export class SyncPage<Item> implements Iterable<Item> {
  readonly items: Item[];
  readonly cursor: string | null;
  readonly #fetchPage: (cursor: string) => SyncPage<Item>;
  readonly #requestedCursor: string | undefined;

  constructor(body: { items?: Item[] | null; cursor?: string | null }, fetchPage: (cursor: string) => SyncPage<Item>, requestedCursor?: string) {
    this.items = body.items ?? [];
    this.cursor = body.cursor ?? null;
    this.#fetchPage = fetchPage;
    this.#requestedCursor = requestedCursor;
  }

  get hasMore(): boolean {
    return this.hasNextPage();
  }

  get nextCursor(): string | null {
    return this.hasNextPage() ? this.cursor : null;
  }

  hasNextPage(): boolean {
    return typeof this.cursor === "string" && this.cursor !== "";
  }

  getNextPage(): SyncPage<Item> {
    if (!this.hasNextPage()) throw new PayiError("No next page: this is the last page (check hasNextPage() first).");
    if (this.cursor === this.#requestedCursor) throw new PayiError(`The service answered the same cursor it was asked with (${JSON.stringify(this.cursor)}); stopping.`);
    return this.#fetchPage(this.cursor!);
  }

  *iterPages(): Generator<SyncPage<Item>, void, undefined> {
    let page: SyncPage<Item> = this;
    for (;;) {
      yield page;
      if (!page.hasNextPage()) return;
      page = page.getNextPage();
    }
  }

  *[Symbol.iterator](): Generator<Item, void, undefined> {
    for (const page of this.iterPages()) yield* page.items;
  }

  toJSON(): { items: Item[]; cursor: string | null } {
    return { items: this.items, cursor: this.cursor };
  }
}
