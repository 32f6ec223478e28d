/**
 * After the build: the declaration chunks tsup shares between entries carry a content hash
 * (`api-Al5bIAEz.d.ts`), which is where go-to-definition lands. They get their plain names
 * (`api.d.ts`), and every declaration file that imports them follows.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const files = readdirSync(dist);
const renames = new Map<string, string>();
for (const file of files) {
  const m = /^(.+)-[A-Za-z0-9_-]{8}(\.d\.c?ts)$/.exec(file);
  if (!m) continue;
  const plain = `${m[1]}${m[2]}`;
  if (files.includes(plain)) throw new Error(`dts-names: ${plain} exists already; cannot rename ${file}`);
  renames.set(file, plain);
}
for (const [from, to] of renames) renameSync(join(dist, from), join(dist, to));
// Imports name a chunk by its JavaScript twin: `./api-Al5bIAEz.js` in .d.ts, `.cjs` in .d.cts.
const stems = [...renames].map(([from, to]) => [from.replace(/\.d\.c?ts$/, ""), to.replace(/\.d\.c?ts$/, "")] as const);
for (const file of readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f))) {
  const path = join(dist, file);
  let text = readFileSync(path, "utf8");
  for (const [from, to] of stems) text = text.replaceAll(`./${from}.`, `./${to}.`);
  writeFileSync(path, text);
}
