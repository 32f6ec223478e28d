/**
 * connect.ts for browser builds (see tsup.config.ts): the platform fetch. A browser has no
 * connect-timeout knob, so the whole-attempt timeout is the bound there, as connect.ts says.
 */
import type * as NodeConnect from "./connect.js";

export type { FetchLike } from "./connect.js";

export const defaultFetch: typeof NodeConnect.defaultFetch = () => Promise.resolve(globalThis.fetch.bind(globalThis) as NodeConnect.FetchLike);
