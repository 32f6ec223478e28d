/**
 * The key travels as a default header of every request, not through an openapi-fetch
 * middleware: openapi-fetch builds every URL from the configured baseURL, so each request
 * goes to that origin, and a redirect to another origin is followed by fetch.ts, which drops
 * the key there. A middleware would cost each call an id, a frozen options object and an await.
 */
import { AUTH_HEADER } from "./redact.js";

export const authHeaders = (apiKey: string): Record<string, string> => ({ [AUTH_HEADER]: apiKey });
