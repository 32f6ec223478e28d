/** The openapi-fetch middleware that signs requests to the configured origin, and only those. */
import type { Middleware } from "openapi-fetch";
import { AUTH_HEADER } from "./redact.js";

export function authMiddleware(apiKey: string, baseURL: string): Middleware {
  const origin = new URL(baseURL).origin;
  return {
    onRequest({ request }) {
      if (new URL(request.url).origin === origin && !request.headers.has(AUTH_HEADER)) request.headers.set(AUTH_HEADER, apiKey);
    },
  };
}
