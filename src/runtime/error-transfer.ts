/**
 * Errors crossing from the sync client's worker thread: sent as plain data, rebuilt on the
 * main thread as the same classes, so `instanceof` works and status, headers and body arrive.
 */
import * as errors from "./errors.js";

export interface SerializedError {
  name: string;
  message: string;
  status?: number;
  headers?: [string, string][];
  body?: unknown;
  issues?: errors.ValidationIssue[];
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: "PayiError", message: String(err) };
  const e = err as errors.APIError & { issues?: errors.ValidationIssue[] };
  return {
    name: err.name,
    message: err.message,
    status: e.status,
    headers: e.headers instanceof Headers ? [...e.headers] : undefined,
    body: e.body,
    issues: e.issues,
  };
}

export function reviveError(data: SerializedError): Error {
  const headers = data.headers ? new Headers(data.headers) : undefined;
  let err: Error;
  switch (data.name) {
    case "PayiValidationError":
      err = Object.assign(new errors.PayiValidationError("", data.issues ?? []), { message: data.message });
      break;
    case "APIResponseValidationError":
      err = new errors.APIResponseValidationError(data.status ?? 0, data.body, headers ?? new Headers(), data.issues ?? [], data.message);
      break;
    case "APIConnectionError":
      err = new errors.APIConnectionError(data.message);
      break;
    case "APITimeoutError":
      err = new errors.APITimeoutError(data.message);
      break;
    case "APIUserAbortError":
      err = new errors.APIUserAbortError(data.message);
      break;
    default: {
      const Class = (errors as Record<string, unknown>)[data.name];
      if (typeof Class === "function" && (Class as { prototype: unknown }).prototype instanceof errors.APIError) {
        err = new (Class as typeof errors.APIError)(data.status, data.body, data.message, headers);
      } else if (data.name === "APIError") {
        err = new errors.APIError(data.status, data.body, data.message, headers);
      } else {
        err = new errors.PayiError(data.message);
      }
    }
  }
  return err;
}
