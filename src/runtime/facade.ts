/**
 * The typed surface of both clients: the generated ApiTree, with each client's request options
 * and what each of its calls returns, so the clients cannot drift from the spec or from each
 * other. Method docs and `@param`s come from the tree.
 */
import type { ApiTree, OperationId, OperationTypes } from "../generated/api.js";
import type { RequestOptions, SyncRequestOptions } from "./options.js";
import type { APIPromise } from "./api-promise.js";
import type { PagePromise } from "./pagination.js";
import type { RawResponse, StreamingResponse } from "./responses.js";
import type { SyncRawResponse, SyncStreamingResponse } from "./sync-responses.js";
import type { SyncPage } from "./sync-page.js";

type Result<Id extends OperationId> = OperationTypes[Id]["result"];
type Paginated<Id extends OperationId> = OperationTypes[Id]["paginated"];
type Item<Id extends OperationId> = OperationTypes[Id]["item"];

/** AsyncPayi's calls: a promise of the result, or of the first page for a list. */
export type AsyncApi = ApiTree<
  RequestOptions,
  { [Id in OperationId]: Paginated<Id> extends true ? PagePromise<Item<Id>> : APIPromise<Result<Id>> }
>;
export type RawApi = ApiTree<RequestOptions, { [Id in OperationId]: Promise<RawResponse<Result<Id>>> }>;
export type StreamingApi = ApiTree<RequestOptions, { [Id in OperationId]: Promise<StreamingResponse<Result<Id>>> }>;

/** Payi's calls: the result itself, or the first page for a list. */
export type SyncApi = ApiTree<
  SyncRequestOptions,
  { [Id in OperationId]: Paginated<Id> extends true ? SyncPage<Item<Id>> : Result<Id> }
>;
export type SyncRawApi = ApiTree<SyncRequestOptions, { [Id in OperationId]: SyncRawResponse<Result<Id>> }>;
export type SyncStreamingApi = ApiTree<SyncRequestOptions, { [Id in OperationId]: SyncStreamingResponse<Result<Id>> }>;

/** Builds the namespace tree at runtime from the operation ids. */
export function buildTree(
  ids: readonly string[],
  leaf: (id: OperationId) => (...args: any[]) => unknown,
): Record<string, any> {
  const root: Record<string, any> = {};
  for (const id of ids) {
    const parts = id.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) node = node[part] ??= {};
    node[parts.at(-1)!] = leaf(id as OperationId);
  }
  return root;
}
