/** A page of the sync client: a plain iterable over every item, fetching pages as iteration reaches them. */
import { CursorPage, type PageBody } from "./pagination.js";

export class SyncPage<Item> extends CursorPage<Item> implements Iterable<Item> {
  readonly #fetchPage: (cursor: string, previous: SyncPage<Item>) => SyncPage<Item>;

  constructor(
    body: PageBody<Item>,
    fetchPage: (cursor: string, previous: SyncPage<Item>) => SyncPage<Item>,
    requestedCursor?: string,
    previous?: SyncPage<Item>,
  ) {
    super(body, requestedCursor, previous);
    this.#fetchPage = fetchPage;
  }

  getNextPage(): SyncPage<Item> {
    return this.#fetchPage(this.nextPageCursor(), this);
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
}
