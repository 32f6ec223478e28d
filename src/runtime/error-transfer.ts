/**
 * Errors crossing from the sync client's worker thread: sent as plain data, rebuilt on the
 * main thread as the same classes, so `instanceof` works and status, headers and body arrive.
 */
import * as errors from "./errors.js";

/**
 * The status errors by name. An explicit table rather than a lookup in the module
 * namespace, which would make bundlers keep this module in every AsyncPayi bundle.
 */
// Each class narrows the status it takes to its own code; the table takes any.
const STATUS_ERRORS: Record<
  string,
  new (
    status: any,
    body: unknown,
    message: string | undefined,
    headers: any,
  ) => errors.APIError
> = {
  APIError: errors.APIError,
  BadRequestError: errors.BadRequestError,
  AuthenticationError: errors.AuthenticationError,
  PermissionDeniedError: errors.PermissionDeniedError,
  NotFoundError: errors.NotFoundError,
  ConflictError: errors.ConflictError,
  UnprocessableEntityError: errors.UnprocessableEntityError,
  RateLimitError: errors.RateLimitError,
  InternalServerError: errors.InternalServerError,
};

export interface SerializedError {
  name: string;
  message: string;
  status?: number;
  headers?: [string, string][];
  body?: unknown;
  issues?: errors.ValidationIssue[];
}

export function serializeError(err: unknown): SerializedError {
  // Stryker disable next-line ConditionalExpression,ObjectLiteral,StringLiteral: a guard: what the worker's calls throw are Errors
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
      // Stryker disable next-line StringLiteral,ArrayDeclaration: the message is replaced; a validation error always has its issues
      err = Object.assign(new errors.PayiValidationError("", data.issues ?? []), { message: data.message });
      break;
    case "APIResponseValidationError":
      err = new errors.APIResponseValidationError(
        data.status ?? 0,
        data.body,
        headers ?? new Headers(),
        // Stryker disable next-line ArrayDeclaration: a response validation error always has its issues
        data.issues ?? [],
        data.message,
      );
      break;
    case "APIConnectionError":
      err = new errors.APIConnectionError(data.message);
      break;
    case "APITimeoutError":
      err = new errors.APITimeoutError(data.message);
      break;
    // Stryker disable next-line ConditionalExpression,StringLiteral: the sync client takes no signal, so none of its calls is aborted
    case "APIUserAbortError":
      err = new errors.APIUserAbortError(data.message);
      break;
    default: {
      const Class = Object.hasOwn(STATUS_ERRORS, data.name) ? STATUS_ERRORS[data.name] : undefined;
      err = Class ? new Class(data.status, data.body, data.message, headers) : new errors.PayiError(data.message);
    }
  }
  return err;
}
