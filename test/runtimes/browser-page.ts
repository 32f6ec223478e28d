// Bundled with esbuild into the page the browser test serves: AsyncPayi works, Payi explains itself.
import { AsyncPayi, Payi, PayiError } from "../../src/index.js";

const result: Record<string, unknown> = {};
(async () => {
  const url = new URL(location.href).searchParams.get("mock")!;
  const client = new AsyncPayi({ apiKey: "browser-key", baseURL: url });
  const r = await client.ingest.units({ category: "system.openai", resource: "gpt-4o", units: { text: { input: 10, output: 50 } }, limit_ids: ["monthly-budget"] });
  result.requestId = r.xproxy_result.request_id;
  const items: string[] = [];
  for await (const l of client.limits.list()) items.push(l.limit_id);
  result.items = items;
  try {
    new Payi({ apiKey: "browser-key", baseURL: url });
    result.sync = "constructed";
  } catch (e) {
    result.sync = e instanceof PayiError ? e.message : `unexpected ${String(e)}`;
  }
})()
  .catch((e) => (result.error = String(e)))
  .finally(() => ((window as unknown as { __result: unknown }).__result = result));
