// The soak's Pay-i: a bulk-ingest endpoint on loopback that records every event it accepts
// (by id, synchronously, before answering), refuses some events for good, and misbehaves at
// random: 503 with Retry-After, 429, a dropped connection, a stall past the client's timeout.
import { appendFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { poison, refusedOne } from "./rules.js";

const [port, log] = [Number(process.argv[2]), process.argv[3]];

const server = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => (body += c));
  req.on("end", () => {
    const roll = Math.random();
    if (roll < 0.04) return answer(res, 503, { message: "unavailable", statusCode: 503 }, { "retry-after-ms": "30" });
    if (roll < 0.06) return answer(res, 429, { message: "slow down", statusCode: 429 }, { "retry-after": "0.05" });
    if (roll < 0.07) return void req.socket.destroy();
    if (roll < 0.073) return; // stalls until the client times out
    const events = JSON.parse(body) as { properties: { id: string } }[];
    const ids = events.map((e) => Number(e.properties.id));
    if (ids.some(poison)) return answer(res, 400, { message: "invalid event in batch", statusCode: 400 });
    const errors: unknown[] = [];
    const accepted: number[] = [];
    ids.forEach((id, i) =>
      refusedOne(id)
        ? errors.push({
            item_index: i,
            xproxy_result: {
              message: `refused ${id}`,
              statusCode: 404,
              xproxy_error: { code: "category_resource_not_found" },
            },
          })
        : accepted.push(id),
    );
    if (accepted.length) appendFileSync(log, `${accepted.join("\n")}\n`);
    answer(res, 200, { ingest_count: accepted.length, error_count: errors.length, errors, request_id: "soak" });
  });
});

function answer(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
