/**
 * files.ts for browser builds: the same names, each refusing with the reason. A browser has
 * no file system, so the spool and file-based backfill options are Node, Bun and Deno only.
 */
import { PayiError } from "../runtime/errors.js";
import type * as NodeFiles from "./files.js";

const unsupported = (feature: string) =>
  new PayiError(`${feature} needs Node.js 20.16+ (or Bun or Deno): it reads and writes files.`);

export const Spool = class {
  constructor() {
    throw unsupported("ingest.queue's spool");
  }
} as unknown as typeof NodeFiles.Spool;

export const checkFiles: typeof NodeFiles.checkFiles = (feature) => {
  throw unsupported(feature);
};

export const fileLines: typeof NodeFiles.fileLines = () => {
  throw unsupported("ingest.backfill from a file");
};

export const loadCheckpoint: typeof NodeFiles.loadCheckpoint = (_path, feature) => {
  throw unsupported(feature);
};

export const appendText: typeof NodeFiles.appendText = (_path, _text, feature) => {
  throw unsupported(feature);
};

export const replaceText: typeof NodeFiles.replaceText = (_path, _text, feature) => {
  throw unsupported(feature);
};
