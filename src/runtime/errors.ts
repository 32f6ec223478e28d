/**
 * The error tree. Every failure the SDK reports is a PayiError; `fromResponse` is the one
 * place an HTTP answer becomes one. No error ever holds the API key: requests are not
 * kept, and headers echoed by a server are redacted.
 */
import { redactDeep, redactHeaders } from "./redact.js";

export class PayiError extends Error {
  override name = "PayiError";
}

/** One offending field of a params object or a response body. */
export interface ValidationIssue {
  /** Dot path of the field (`units.text.input`), empty for the object itself. */
  path: string;
  message: string;
  code?: string;
}

/**
 * One reason a mock of the API (Prism, `payi mock`, `payi/testing`) refused a request, from
 * the `sl-violations` header it answers with: the service itself sends none.
 */
export interface Violation {
  /** Where: `["request", "body", "units"]`, `["request", "query", "limit"]`. */
  location: string[];
  message: string;
  /** What was broken: `required`, `type`, `minimum`, ... */
  code?: string | number;
  severity?: string;
}

/** The issues as text; `whole` names what an empty path points to. */
const describe = (issues: ValidationIssue[], whole: string) =>
  issues.map((i) => `${i.path || whole}: ${i.message}`).join("; ");

/** Params (or client options) that cannot be sent: nothing left the process. */
export class PayiValidationError extends PayiError {
  override name = "PayiValidationError";
  readonly issues: ValidationIssue[];
  constructor(operation: string, issues: ValidationIssue[], what: "params" | "options" = "params") {
    super(`Invalid ${what} for ${operation}: ${describe(issues, `(${what})`)}`);
    this.issues = issues;
  }
}

/**
 * An error about a request. `status` and `headers` are typed by subclass: a status error
 * (`NotFoundError`, ...) has its status code and the answer's headers; a connection error
 * (`APIConnectionError`, `APITimeoutError`) or an abort has neither.
 */
export class APIError<
  TStatus extends number | undefined = number | undefined,
  THeaders extends Headers | undefined = Headers | undefined,
> extends PayiError {
  override name = "APIError";
  /** HTTP status, or undefined when no response was received. */
  readonly status: TStatus;
  /** The answer's headers (the key redacted), or undefined when no response was received. */
  readonly headers: THeaders;
  /** The parsed JSON body, or its text when it was not JSON. */
  readonly body: unknown;
  /** The service's `xproxy_error.code`, when it sent one. */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  /** Why a mock refused the request (its `sl-violations` header), on a 4xx from one. */
  readonly violations: Violation[] | undefined;

  constructor(status: TStatus, body: unknown, message: string | undefined, headers: THeaders) {
    const violations =
      status && status >= 400 && status < 500 ? parseViolations(headers?.get("sl-violations")) : undefined;
    super(composeMessage(status, body, message, violations));
    this.violations = violations;
    this.status = status;
    this.headers = (headers ? redactHeaders(headers) : undefined) as THeaders;
    this.body = body;
    // Stryker disable next-line ConditionalExpression: always true is equivalent, no other JSON value has these fields.
    const b = isObject(body) ? body : undefined;
    const xe = b && isObject(b.xproxy_error) ? b.xproxy_error : undefined;
    this.code = typeof xe?.code === "string" ? xe.code : undefined;
    this.requestId =
      headers?.get("x-request-id") ??
      headers?.get("xproxy-request-id") ??
      (typeof b?.request_id === "string" ? b.request_id : undefined);
  }

  /**
   * The one place a non-2xx answer becomes an error of the right class. A server that echoes
   * the key back (in its message, say) does not get it into the error: `secret` is scrubbed.
   */
  static fromResponse(status: number, body: unknown, headers: Headers, secret?: string): APIError<number, Headers> {
    return new (errorClassFor(status))(status, redactDeep(body, secret), undefined, redactHeaders(headers, secret));
  }
}

export class BadRequestError extends APIError<400, Headers> {
  override name = "BadRequestError";
}
export class AuthenticationError extends APIError<401, Headers> {
  override name = "AuthenticationError";
}
export class PermissionDeniedError extends APIError<403, Headers> {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends APIError<404, Headers> {
  override name = "NotFoundError";
}
export class ConflictError extends APIError<409, Headers> {
  override name = "ConflictError";
}
export class UnprocessableEntityError extends APIError<422, Headers> {
  override name = "UnprocessableEntityError";
}
export class RateLimitError extends APIError<429, Headers> {
  override name = "RateLimitError";
}
/** A 5xx answer. */
export class InternalServerError extends APIError<number, Headers> {
  override name = "InternalServerError";
}

/** No response arrived: DNS, refused or reset connection, TLS, or a redirect that could not be followed. */
export class APIConnectionError extends APIError<undefined, undefined> {
  override name = "APIConnectionError";
  constructor(message = "Connection error.", options?: { cause?: unknown }) {
    super(undefined, undefined, message, undefined);
    if (options?.cause !== undefined) Object.defineProperty(this, "cause", { value: options.cause, enumerable: false });
  }
}

export class APITimeoutError extends APIConnectionError {
  override name = "APITimeoutError";
  constructor(message = "Request timed out.", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The caller aborted the request through its `signal`. */
export class APIUserAbortError extends APIError<undefined, undefined> {
  override name = "APIUserAbortError";
  constructor(message = "Request was aborted.") {
    super(undefined, undefined, message, undefined);
  }
}

/** A 2xx body that is not what the spec describes (strict mode), or not JSON at all. */
export class APIResponseValidationError extends APIError<number, Headers> {
  override name = "APIResponseValidationError";
  readonly issues: ValidationIssue[];
  constructor(status: number, body: unknown, headers: Headers, issues: ValidationIssue[], message?: string) {
    super(status, body, message ?? `Response body does not match the spec: ${describe(issues, "(body)")}`, headers);
    this.issues = issues;
  }
}

// Outside the class: a class whose body names it is emitted by esbuild under another name
// (`_APIError`), which browser stack traces would show.

/** The class of the error a non-2xx status becomes. */
function errorClassFor(status: number) {
  const Class =
    status === 400
      ? BadRequestError
      : status === 401
        ? AuthenticationError
        : status === 403
          ? PermissionDeniedError
          : status === 404
            ? NotFoundError
            : status === 409
              ? ConflictError
              : status === 422
                ? UnprocessableEntityError
                : status === 429
                  ? RateLimitError
                  : status >= 500
                    ? InternalServerError
                    : APIError;
  return Class as new (
    status: number,
    body: unknown,
    message: undefined,
    headers: Headers,
  ) => APIError<number, Headers>;
}

/** An error's message: the one given, else the mock's violations, else what the body says. */
function composeMessage(
  status: number | undefined,
  body: unknown,
  message: string | undefined,
  violations: Violation[] | undefined,
): string {
  if (message) return message;
  // A mock's body is an example, chosen by status: the violations are the reason.
  if (violations) return `${status} refused by the mock: ${violations.map((v) => v.message).join("; ")}`;
  // Stryker disable next-line ConditionalExpression: always true is equivalent, no other JSON value has these fields.
  const b = isObject(body) ? body : undefined;
  const xe = b && isObject(b.xproxy_error) ? b.xproxy_error : undefined;
  const parts: string[] = [];
  if (typeof b?.message === "string" && b.message) parts.push(b.message);
  else if (typeof xe?.message === "string" && xe.message) parts.push(xe.message);
  if (typeof xe?.code === "string") parts.push(`(${xe.code})`);
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, an empty text adds no words.
  if (!parts.length && typeof body === "string" && body)
    parts.push(body.length > 200 ? `${body.slice(0, 200)}…` : body);
  // Any other JSON (an object without a message, an array, a number) as it came.
  if (!parts.length && body !== undefined && typeof body !== "string") parts.push(JSON.stringify(body).slice(0, 200));
  const text = parts.join(" ") || "no body";
  return status ? `${status} ${text}` : text;
}

/** The header's list as the mock sent it, or undefined when it is not a list of violations. */
function parseViolations(header: string | null | undefined): Violation[] | undefined {
  try {
    const list = JSON.parse(header!);
    if (
      // Stryker disable next-line ConditionalExpression: equivalent, any other JSON has no length or throws below.
      Array.isArray(list) &&
      list.length &&
      // Stryker disable next-line OptionalChaining: equivalent, a null entry throws into the catch below.
      list.every((v) => typeof v?.message === "string" && Array.isArray(v.location))
    )
      return list;
  } catch {}
  return undefined;
}

function isObject(v: unknown): v is Record<string, any> {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a field of any other JSON value is undefined.
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
