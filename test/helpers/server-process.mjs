// A local server in its own process, for the sync client (whose calls block this thread's
// event loop). Scripted by path; prints its port on stdout. Counts requests at GET /__stats.
import http from "node:http";

const TOTAL = 1000;
const counts = {};
const failures = {};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const send = (status, data, headers = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(data));
    };
    if (url.pathname === "/__stats") return send(200, counts);
    counts[url.pathname] = (counts[url.pathname] ?? 0) + 1;
    if (url.pathname === "/api/v1/limits" && req.method === "GET") {
      const start = Number(url.searchParams.get("cursor") ?? 0);
      const size = Number(url.searchParams.get("limit") ?? 25);
      const end = Math.min(start + size, TOTAL);
      return send(200, {
        items: Array.from({ length: end - start }, (_, k) => ({
          limit_id: `lim_${start + k}`,
          limit_name: `budget-${start + k}`,
        })),
        cursor: end < TOTAL ? String(end) : null,
      });
    }
    if (url.pathname === "/api/v1/ingest") {
      const id = req.headers["x-test-id"] ?? "none";
      const fail = Number(req.headers["x-test-fail"] ?? 0);
      failures[id] = (failures[id] ?? 0) + 1;
      if (failures[id] <= fail)
        return send(503, { message: `unavailable ${failures[id]}`, statusCode: 503 }, { "retry-after-ms": "20" });
      return send(200, {
        event_timestamp: "2025-02-03T10:00:00Z",
        ingest_timestamp: "2025-02-03T10:00:00Z",
        request_id: `req_${id}_${failures[id]}`,
        xproxy_result: { request_id: `req_${id}` },
      });
    }
    const reset = /^\/api\/v1\/limits\/([^/]+)\/reset$/.exec(url.pathname);
    if (reset) {
      const answer = () => send(200, { limit_history: { totals: {} }, request_id: decodeURIComponent(reset[1]) });
      // "stall" never answers: the request stays open until the client gives up.
      if (reset[1] === "stall") return;
      return reset[1] === "slow" ? setTimeout(answer, 1500) : answer();
    }
    if (url.pathname.startsWith("/api/v1/limits/"))
      return send(
        404,
        { message: "Limit not found", statusCode: 404, xproxy_error: { code: "limit_not_found" } },
        { "x-request-id": "req_404" },
      );
    send(404, { message: "no route", statusCode: 404 });
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("disconnect", () => process.exit(0));
