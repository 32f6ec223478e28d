/**
 * What ingest does with files: the queue's spool, backfill's JSON Lines source, rejects file
 * and checkpoint. Browser builds get files.browser.ts instead (a build-time swap, see
 * tsup.config.ts), so none of this reaches a browser bundle.
 */
import { readCheckpoint, type CheckpointData } from "./checkpoint.js";
import { node } from "./node.js";

export { Spool } from "./spool.js";

type Fs = typeof import("node:fs");
function fs(feature: string): Fs {
  return node<Fs>("node:fs", feature);
}

/** Throws now, naming the feature, where files cannot be used, rather than halfway through a run. */
export function checkFiles(feature: string): void {
  fs(feature);
}

/** The lines of a text file, numbered from 1, read as they are needed. */
export async function* fileLines(path: string): AsyncGenerator<{ text: string; line: number }> {
  // Stryker disable next-line StringLiteral: backfill's checkFiles has already said what a missing node:fs means
  const { createReadStream } = fs("ingest.backfill from a file");
  // Stryker disable next-line StringLiteral: as above (readline comes with fs)
  const { createInterface } = node<typeof import("node:readline")>("node:readline", "ingest.backfill from a file");
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity }))
    yield { text, line: ++line };
}

/** A backfill's checkpoint file, or where none is yet, nothing settled. */
export function loadCheckpoint(path: string, feature: string): CheckpointData {
  const f = fs(feature);
  return f.existsSync(path) ? readCheckpoint(f.readFileSync(path, "utf8"), path) : { settled: 0, ahead: [] };
}

export function appendText(path: string, text: string, feature: string): void {
  fs(feature).appendFileSync(path, text);
}

/** Writes a whole file atomically: a reader sees the old text or the new, never half. */
export function replaceText(path: string, text: string, feature: string): void {
  const f = fs(feature);
  f.writeFileSync(`${path}.tmp`, text);
  f.renameSync(`${path}.tmp`, path);
}
