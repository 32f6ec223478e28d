// A fast keep-alive server answering canned, realistic Pay-i bodies, in its own process so
// the client being measured has the other core. Not Prism: Prism is the bottleneck.
// Prints its port on stdout, then serves until killed.
import http from "node:http";

const ingest = JSON.stringify({
  event_timestamp: "2025-02-03T10:00:00Z",
  ingest_timestamp: "2025-02-03T10:00:00.120Z",
  request_id: "req_5f0c6a1e9b2d4c7a",
  xproxy_result: {
    request_id: "req_5f0c6a1e9b2d4c7a",
    resource_id: "res_gpt4o_2024_08_06",
    user_id: "customer_abc123",
    cost: { currency: "usd", input: { base: 0.000025 }, output: { base: 0.0005 }, total: { base: 0.000525 } },
    limits: { lim_7d3f2a9c: { state: "ok" } },
    blocked_limit_ids: [],
    duplicate_request: false,
    warnings: [],
  },
});
const totals = {
  cost: { input: { base: 12.5 }, output: { base: 30.75 }, total: { base: 43.25, overrun_base: 0 } },
  requests: { blocked: 0, blocked_external: 0, exceeded: 0, failed: 2, ok: 1520, overrun: 0, total: 1522 },
};
const TOTAL = Number(process.env.BENCH_ITEMS ?? 100_000);
function limitsPage(cursor, size) {
  const start = Number(cursor ?? 0);
  const end = Math.min(start + size, TOTAL);
  const items = [];
  for (let i = start; i < end; i++) {
    items.push({
      limit_creation_timestamp: "2025-01-06T09:15:00Z",
      limit_id: `lim_${i}`,
      limit_name: `budget-${i}`,
      limit_type: "block",
      limit_update_timestamp: "2025-02-01T00:00:00Z",
      max: 500,
      totals,
      threshold: 0.8,
    });
  }
  return JSON.stringify({ items, cursor: end < TOTAL ? String(end) : null });
}
const bulk = (n) =>
  JSON.stringify({
    ingest_count: n,
    ingest_timestamp: "2025-02-03T10:00:01Z",
    request_id: "req_bulk",
    error_count: 0,
    errors: [],
    total_count: n,
  });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/api/v1/ingest") return res.end(ingest);
    if (url.pathname === "/api/v1/ingest/bulk")
      return res.end(bulk(JSON.parse(Buffer.concat(chunks).toString() || "[]").length));
    if (url.pathname === "/api/v1/limits")
      return res.end(limitsPage(url.searchParams.get("cursor"), Number(url.searchParams.get("limit") ?? 25)));
    res.statusCode = 404;
    res.end(JSON.stringify({ message: "not found", statusCode: 404 }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => process.exit(0));
process.on("disconnect", () => process.exit(0));
