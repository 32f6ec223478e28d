// Run by Bun and Deno against the mock: both clients from the built package.
import { AsyncPayi, Payi, NotFoundError } from "../../dist/index.js";

const url = globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2];
const client = new AsyncPayi({ apiKey: "runtime-key", baseURL: url });
const limit = await client.limits.retrieve({ limit_id: "lim_1" });
const items = [];
for await (const l of client.limits.list()) items.push(l.limit_id);
const error = await client.limits.retrieve({ limit_id: "x" }, { headers: { Prefer: "code=404" } }).catch((e) => e);
let sync;
try {
  sync = new Payi({ apiKey: "runtime-key", baseURL: url }).limits.retrieve({ limit_id: "lim_1" }).limit.limit_id;
} catch (e) {
  sync = `error: ${e.message}`;
}
console.log(JSON.stringify({ async: limit.limit.limit_id, items, notFound: error instanceof NotFoundError, sync }));
