/** The API key's header: it is never kept in an error, a log line or a thrown object. */
export const AUTH_HEADER = "xProxy-api-key";

const SECRET = /^(xproxy-api-key|authorization|proxy-authorization|cookie|set-cookie)$/i;

/** A copy of headers with secrets replaced. */
export function redactHeaders(headers: Headers): Headers {
  const out = new Headers();
  headers.forEach((value, name) => out.append(name, SECRET.test(name) ? "***" : value));
  return out;
}

/** Removes every occurrence of a secret from a text. */
export function redactText(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("***") : text;
}
