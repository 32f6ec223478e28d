/**
 * An answer made to read its body through a tap of ours (whichever way its caller reads it:
 * json(), text(), arrayBuffer(), blob(), body, clone()), by a prototype made once per class of
 * answer, so that nothing is defined on each answer but the tap itself.
 */

/** The getter `name` has on the prototype chain starting at `p`. */
function inherited(p: object | null, name: string): (() => unknown) | undefined {
  for (; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return d.get;
  }
  return undefined;
}

/** How a JSON answer's body is read once, whichever way the caller reads it. */
export interface BodyTap {
  read(self: Response): Promise<Uint8Array>;
  text(self: Response): Promise<string>;
  json(self: Response): Promise<unknown>;
  /** The body as a stream; `original` is the answer's own. */
  body(original: () => unknown): unknown;
  /** A copy of the answer; `original` is the answer's own clone(). */
  clone(self: Response, original: () => Response): Response;
}

/** A copy of an answer with another body. */
export function copyOf(res: Response, body: ReadableStream<Uint8Array>): Response {
  const copy = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(copy, "url", { value: res.url });
  return copy;
}

const TAP = Symbol("payi.body-tap");
/** Per prototype of answers: one that reads bodies through their tap. */
const tapProtos = new WeakMap<object, object>();

/**
 * Makes `res` read its body through `tap`, by giving it a prototype (made once per class of
 * answer) whose body methods use it: cheaper than defining the methods on each answer.
 */
export function seeBody(res: Response, proto: object, tap: BodyTap): void {
  let p = tapProtos.get(proto);
  if (!p) {
    const bodyOf = inherited(proto, "body");
    const of = (r: unknown) => (r as { [TAP]: BodyTap })[TAP];
    const method = (value: (this: unknown) => unknown) => ({ value, configurable: true, writable: true });
    p = Object.create(proto, {
      arrayBuffer: method(function (this: unknown) {
        return of(this)
          .read(this as Response)
          .then((u) => u.slice().buffer);
      }),
      blob: method(function (this: unknown) {
        const self = this as Response;
        return of(this)
          .read(self)
          .then((u) => new Blob([u.slice()], { type: self.headers.get("content-type") ?? "" }));
      }),
      text: method(function (this: unknown) {
        return of(this).text(this as Response);
      }),
      json: method(function (this: unknown) {
        return of(this).json(this as Response);
      }),
      clone: method(function (this: unknown) {
        return of(this).clone(this as Response, () => (proto as Response).clone.call(this as Response));
      }),
      body: {
        get(this: unknown) {
          return of(this).body(() => bodyOf?.call(this));
        },
        configurable: true,
      },
    }) as object;
    tapProtos.set(proto, p);
  }
  Object.defineProperty(res, TAP, { value: tap });
  Object.setPrototypeOf(res, p);
}
