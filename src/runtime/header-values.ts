/**
 * What an HTTP header can carry, checked before anything is sent: fetch and undici throw a
 * TypeError that names nothing (and quotes the value, which may be a credential) when a
 * name is not a token or a value holds a line break, NUL or a character above U+00FF.
 */
import type { ValidationIssue } from "./errors.js";

/** Why a header value cannot be sent, without quoting it; undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  const at = value.search(/[^\t\x20-\x7E\x80-\xFF]/);
  return at < 0
    ? undefined
    : `holds a character no HTTP header can carry (a line break, NUL, control character or one above U+00FF) at position ${at}`;
}

/** The issues of a set of headers, named by `field`; null and undefined values remove a header. */
export function headerIssues(headers: Record<string, unknown> | undefined, field: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    const message = !/^[!#$%&'*+.^`|~\w-]+$/.test(name)
      ? "is not a valid header name"
      : value === null || value === undefined
        ? undefined
        : typeof value === "string"
          ? headerValueProblem(value)
          : `must be a string, got ${typeof value}`;
    if (message) issues.push({ path: `${field}.${name}`, message, code: "invalid_header" });
  }
  return issues;
}
