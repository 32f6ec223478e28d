/** The API key's header: it is never kept in an error, a log line or a thrown object. */
export const AUTH_HEADER = "xProxy-api-key";

const SECRET = /^(xproxy-api-key|authorization|proxy-authorization|cookie|set-cookie)$/i;

/** Request headers that carry credentials: never sent on to another origin. */
export const CREDENTIAL_HEADERS = ["xproxy-api-key", "authorization", "proxy-authorization", "cookie"] as const;

/** A copy of headers with secret headers replaced and the secret scrubbed from any other name or value. */
export function redactHeaders(headers: Headers, secret?: string): Headers {
  const out = new Headers();
  // A name can echo the secret too; "*" is a valid header-name character.
  headers.forEach((value, name) =>
    out.append(redactText(name, secret), SECRET.test(name) ? "***" : redactText(value, secret)),
  );
  return out;
}

/** Removes every occurrence of a secret from a text. */
export function redactText(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("***") : text;
}

/** A copy of a parsed body with the secret removed from every string in it, object keys included. */
export function redactDeep<T>(value: T, secret: string | undefined): T {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: with no usable secret, the walk below copies the value unchanged
  if (!secret || secret.length < 4) return value;
  const walk = (v: unknown): unknown =>
    typeof v === "string"
      ? redactText(v, secret)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secret), walk(x)]))
          : v;
  return walk(value) as T;
}
