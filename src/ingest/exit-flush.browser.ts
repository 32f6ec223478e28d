/** exit-flush.ts for browser builds: a page has no 'beforeExit' to flush on. */
import type * as NodeExit from "./exit-flush.js";

export const holdAtExit: typeof NodeExit.holdAtExit = () => {};
export const releaseAtExit: typeof NodeExit.releaseAtExit = () => {};
