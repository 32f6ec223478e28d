/**
 * transport.ts for browser builds (see tsup.config.ts): the platform fetch. A browser has no
 * connect-timeout knob, so the whole-attempt timeout is the bound there.
 */
import { fetchExchange } from "./exchange.js";
import type * as NodeTransport from "./transport.js";

export const defaultExchange: typeof NodeTransport.defaultExchange = () =>
  Promise.resolve(fetchExchange(globalThis.fetch.bind(globalThis)));
