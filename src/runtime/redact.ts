/** The API key's header: it is never kept in an error, a log line or a thrown object. */
export const AUTH_HEADER = "xProxy-api-key";

const SECRET = /^(xproxy-api-key|authorization|proxy-authorization|cookie|set-cookie)$/i;

/** A copy of headers with secret headers replaced and the secret scrubbed from any other value. */
export function redactHeaders(headers: Headers, secret?: string): Headers {
  const out = new Headers();
  headers.forEach((value, name) => out.append(name, SECRET.test(name) ? "***" : redactText(value, secret)));
  return out;
}

/** Removes every occurrence of a secret from a text. */
export function redactText(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("***") : text;
}

/** A copy of a parsed body with the secret removed from every string in it. */
export function redactDeep<T>(value: T, secret: string | undefined): T {
  if (!secret || secret.length < 4) return value;
  const walk = (v: unknown): unknown =>
    typeof v === "string"
      ? redactText(v, secret)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return walk(value) as T;
}
