// A process killed with events in its spool is followed by one that delivers them, once each.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("spool");

describe("the spool", () => {
  it("survives a SIGKILL: the next queue on it delivers every accepted event exactly once", async () => {
    // A server that takes connections and never answers, so batches stay in flight.
    const black = http.createServer(() => {});
    await new Promise<void>((r) => black.listen(0, "127.0.0.1", r));
    const writer = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../fixtures/spool-writer.ts", import.meta.url)), `http://127.0.0.1:${(black.address() as AddressInfo).port}`, join(ctx.dir, "q1"), "25"], { stdio: ["ignore", "pipe", "inherit"] });
    const accepted = await new Promise<string>((r) => writer.stdout!.on("data", (d) => String(d).includes("accepted") && r(String(d).trim())));
    expect(accepted).toBe("accepted 25");
    await new Promise((r) => setTimeout(r, 200)); // batches are now in flight to the silent server
    writer.kill("SIGKILL");
    await new Promise((r) => writer.once("exit", r));
    black.close();
    expect(readFileSync(join(ctx.dir, "q1/events.jsonl"), "utf8").trim().split("\n")).toHaveLength(25);

    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const q = new AsyncPayi({ apiKey: "spool-key", baseURL: ctx.server.url, logLevel: "off" }).ingest.queue({ spool: join(ctx.dir, "q1"), flushAt: 10 });
    expect(q.stats()).toMatchObject({ accepted: 25, pending: 25 });
    await q.flush();
    expect([...ctx.server.accepted.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 25 }, (_, n) => String(n)));
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
    expect(q.stats()).toMatchObject({ delivered: 25, pending: 0 });

    // Delivered events are acknowledged: a third queue finds nothing to send.
    const again = new AsyncPayi({ apiKey: "spool-key", baseURL: ctx.server.url }).ingest.queue({ spool: join(ctx.dir, "q1") });
    expect(again.stats()).toMatchObject({ accepted: 0, pending: 0 });
  }, 30_000);

  it("does not deliver twice within one process, and keeps nothing once delivered", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const q = new AsyncPayi({ apiKey: "spool-key", baseURL: ctx.server.url }).ingest.queue({ spool: join(ctx.dir, "q2"), flushAt: 4, fsync: true });
    for (let n = 0; n < 10; n++) await q.enqueue({ category: "system.openai", units: { text: { input: n } }, properties: { n: String(n) } });
    await q.flush();
    await q.flush();
    expect([...ctx.server.accepted.values()]).toEqual(Array(10).fill(1));
    expect(readFileSync(join(ctx.dir, "q2/events.jsonl"), "utf8")).toBe("");
  });
});
