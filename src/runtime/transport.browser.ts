/**
 * transport.ts for browser builds (see tsup.config.ts): the platform fetch. A browser has no
 * connect-timeout knob, so the whole-attempt timeout is the bound there.
 */
import { fetchSend } from "./send.js";
import type * as NodeTransport from "./transport.js";

export const defaultSend: typeof NodeTransport.defaultSend = () => Promise.resolve(fetchSend(globalThis.fetch.bind(globalThis)));
