/**
 * Bounding the connect phase. The fetch API has no such knob, so on Node the default
 * transport is undici's fetch with an Agent whose connect timeout is set; elsewhere the
 * whole-attempt timeout is the only bound.
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const isNode =
  typeof process !== "undefined" &&
  typeof process.versions?.node === "string" &&
  !(process.versions as Record<string, string | undefined>).bun &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined";

const agents = new Map<number, Promise<FetchLike>>();

/**
 * The platform fetch, with the connect timeout applied where the runtime allows it.
 * One agent per connect timeout, shared by every client, so connections are pooled.
 */
export function defaultFetch(connectTimeoutMs: number): Promise<FetchLike> {
  if (!isNode) return Promise.resolve(globalThis.fetch.bind(globalThis) as FetchLike);
  let f = agents.get(connectTimeoutMs);
  if (!f) {
    // A computed specifier keeps bundlers for browsers and edge runtimes from pulling undici in.
    const specifier = "undici";
    f = import(/* @vite-ignore */ specifier).then((undici: any) => {
      const dispatcher = new undici.Agent({ connect: { timeout: connectTimeoutMs } });
      // Node's own fetch is faster than undici's exported one, and takes this Agent when its
      // bundled undici has the same major version; otherwise the pair from the package is used.
      const sameMajor = process.versions.undici?.split(".")[0] === "6";
      const send = sameMajor ? globalThis.fetch : undici.fetch;
      return ((input: any, init?: any) => send(input, { ...init, dispatcher })) as FetchLike;
    });
    agents.set(connectTimeoutMs, f);
  }
  return f;
}
