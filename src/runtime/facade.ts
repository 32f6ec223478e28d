/**
 * The typed surface of both clients, derived from the generated ApiTree so the clients
 * cannot drift from the spec or from each other. Method docs come from the tree.
 */
import type { ApiTree, OperationId, OperationRef, OperationTypes } from "../generated/api.js";
import type { RequestOptions, SyncRequestOptions } from "./options.js";
import type { APIPromise } from "./api-promise.js";
import type { PagePromise } from "./pagination.js";
import type { RawResponse, StreamingResponse } from "./responses.js";
import type { SyncRawResponse, SyncStreamingResponse } from "./sync-responses.js";
import type { SyncPage } from "./sync-page.js";

type Args<Id extends OperationId, Opts> = OperationTypes[Id]["paramsRequired"] extends true
  ? [params: OperationTypes[Id]["params"], options?: Opts]
  : [params?: OperationTypes[Id]["params"], options?: Opts];

export type AsyncMethod<Id extends OperationId> = OperationTypes[Id]["paginated"] extends true
  ? (...args: Args<Id, RequestOptions>) => PagePromise<OperationTypes[Id]["item"]>
  : (...args: Args<Id, RequestOptions>) => APIPromise<OperationTypes[Id]["result"]>;

export type RawMethod<Id extends OperationId> = (
  ...args: Args<Id, RequestOptions>
) => Promise<RawResponse<OperationTypes[Id]["result"]>>;
export type StreamingMethod<Id extends OperationId> = (
  ...args: Args<Id, RequestOptions>
) => Promise<StreamingResponse<OperationTypes[Id]["result"]>>;

/** The API tree with each leaf (an operation) as the method of its kind: async, raw or streaming. */
export type AsyncApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id> ? AsyncMethod<Id> : AsyncApi<T[K]>;
};
export type RawApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id> ? RawMethod<Id> : RawApi<T[K]>;
};
export type StreamingApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id> ? StreamingMethod<Id> : StreamingApi<T[K]>;
};

type SyncArgs<Id extends OperationId> = Args<Id, SyncRequestOptions>;
export type SyncMethod<Id extends OperationId> = OperationTypes[Id]["paginated"] extends true
  ? (...args: SyncArgs<Id>) => SyncPage<OperationTypes[Id]["item"]>
  : (...args: SyncArgs<Id>) => OperationTypes[Id]["result"];
export type SyncApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id> ? SyncMethod<Id> : SyncApi<T[K]>;
};
export type SyncRawApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id>
    ? (...args: SyncArgs<Id>) => SyncRawResponse<OperationTypes[Id]["result"]>
    : SyncRawApi<T[K]>;
};
export type SyncStreamingApi<T = ApiTree> = {
  [K in keyof T]: T[K] extends OperationRef<infer Id>
    ? (...args: SyncArgs<Id>) => SyncStreamingResponse<OperationTypes[Id]["result"]>
    : SyncStreamingApi<T[K]>;
};

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
