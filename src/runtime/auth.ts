/**
 * The key travels as a header of every request, set here rather than by an openapi-fetch
 * middleware: openapi-fetch builds every URL from the configured baseURL, so each request
 * goes to that origin, and a redirect to another origin is followed by fetch.ts, which drops
 * the key there. A middleware would cost each call an id, a frozen options object and an await.
 */
import { AUTH_HEADER } from "./redact.js";

const AUTH = AUTH_HEADER.toLowerCase();

/** Adds the key to a request's headers: a key given for the request wins; a removed one (null) comes back. */
export function withKey(headers: Record<string, string | null>, apiKey: string): Record<string, string | null> {
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== AUTH) continue;
    if (headers[name] !== null) return headers;
    delete headers[name];
  }
  headers[AUTH_HEADER] = apiKey;
  return headers;
}
