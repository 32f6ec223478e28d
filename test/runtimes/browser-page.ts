// Bundled with esbuild into the page the browser test serves, from the built package as a
// browser bundler resolves it (the `browser` export condition): AsyncPayi works, Payi and
// the file-based ingest options explain themselves.
import { APITimeoutError, APIUserAbortError, AsyncPayi, Payi, PayiError } from "payi";

const result: Record<string, unknown> = {};
(async () => {
  const url = new URL(location.href).searchParams.get("mock")!;
  try {
    new AsyncPayi({ apiKey: "browser-key", baseURL: url });
    result.guard = "constructed";
  } catch (e) {
    result.guard = e instanceof PayiError ? e.message : `unexpected ${String(e)}`;
  }
  const client = new AsyncPayi({ apiKey: "browser-key", baseURL: url, dangerouslyAllowBrowser: true });
  result.className = client.withOptions({}).constructor.name;
  const r = await client.ingest.units({
    category: "system.openai",
    resource: "gpt-4o",
    units: { text: { input: 10, output: 50 } },
    limit_ids: ["monthly-budget"],
  });
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
  const refusal = async (f: () => unknown) => {
    try {
      await f();
      return "allowed";
    } catch (e) {
      return e instanceof PayiError ? e.message : `unexpected ${String(e)}`;
    }
  };
  result.spool = await refusal(() => client.ingest.queue({ spool: "events" }));
  result.backfillFile = await refusal(() => client.ingest.backfill("events.jsonl"));
  // The page's own server never answers under /stall: each attempt's deadline, and the caller's abort.
  const stalled = new AsyncPayi({
    apiKey: "browser-key",
    baseURL: `${location.origin}/stall`,
    timeout: 200,
    maxRetries: 0,
    dangerouslyAllowBrowser: true,
  });
  const event = { category: "system.openai", resource: "gpt-4o", units: { text: { input: 1 } } };
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "answered",
      (e) =>
        e instanceof APITimeoutError
          ? "timeout"
          : e instanceof APIUserAbortError
            ? "aborted"
            : `unexpected ${String(e)}`,
    );
  result.timeout = await outcome(stalled.ingest.units(event));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  result.abort = await outcome(stalled.ingest.units(event, { signal: controller.signal, timeout: 10_000 }));
})()
  .catch((e) => (result.error = String(e)))
  .finally(() => ((window as unknown as { __result: unknown }).__result = result));
