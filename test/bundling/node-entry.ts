// Bundled with esbuild for Node (ESM and CommonJS) by bundle.test.ts, from the built package:
// AsyncPayi works from the bundle; Payi, whose worker stays in the package, refuses at
// construction and says how to keep it out of the bundle.
import { AsyncPayi, Payi, PayiError } from "payi";

async function main(url: string): Promise<string> {
  const client = new AsyncPayi({ apiKey: "bundle-key", baseURL: url, maxRetries: 0 });
  const limit = await client.limits.retrieve({ limit_id: "lim_1" });
  const items: string[] = [];
  for await (const l of client.limits.list()) items.push(l.limit_id);
  let sync: string;
  try {
    sync = new Payi({ apiKey: "bundle-key", baseURL: url }).limits.retrieve({ limit_id: "lim_1" }).limit.limit_id;
  } catch (e) {
    sync = e instanceof PayiError ? `refused: ${e.message}` : `unexpected: ${String(e)}`;
  }
  return JSON.stringify({ async: limit.limit.limit_id, items, sync });
}

main(process.argv[2]).then(console.log, (e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
