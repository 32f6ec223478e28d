/**
 * transport.ts for browser builds (see tsup.config.ts): the platform fetch. A browser has no
 * connect-timeout knob, so the whole-attempt timeout is the bound there.
 */
import type * as NodeTransport from "./transport.js";

export type { FetchLike } from "./transport.js";

export const defaultFetch: typeof NodeTransport.defaultFetch = () => Promise.resolve(globalThis.fetch.bind(globalThis) as NodeTransport.FetchLike);
