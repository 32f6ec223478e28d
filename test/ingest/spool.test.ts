// A process killed with events in its spool is followed by one that delivers them, once each.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { Spool } from "../../src/ingest/spool.js";
import { ev, useBulkServer } from "./bulk-server.js";

const ctx = useBulkServer("spool");
const client = () => new AsyncPayi({ apiKey: "spool-key", baseURL: ctx.server.url, logLevel: "off" });
const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);

describe("the spool", () => {
  it("survives a SIGKILL: the next queue on it delivers every accepted event exactly once", async () => {
    // A server that takes connections and never answers, so batches stay in flight.
    const black = http.createServer(() => {});
    await new Promise<void>((r) => black.listen(0, "127.0.0.1", r));
    const dir = join(ctx.dir, "q1");
    const writer = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        fileURLToPath(new URL("../fixtures/spool-writer.ts", import.meta.url)),
        `http://127.0.0.1:${(black.address() as AddressInfo).port}`,
        dir,
        "25",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const accepted = await new Promise<string>((r) =>
      writer.stdout!.on("data", (d) => String(d).includes("accepted") && r(String(d).trim())),
    );
    expect(accepted).toBe("accepted 25");
    await new Promise((r) => setTimeout(r, 200)); // batches are now in flight to the silent server
    writer.kill("SIGKILL");
    await new Promise((r) => writer.once("exit", r));
    black.closeAllConnections();
    black.close();
    expect(lines(join(dir, "events.jsonl"))).toHaveLength(25);
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(writer.pid)); // a dead process's lock is taken over

    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const q = client().ingest.queue({ spool: dir, flushAt: 10 });
    expect(q.stats()).toMatchObject({ accepted: 25, pending: 25 });
    await q.flush();
    expect([...ctx.server.accepted.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 25 }, (_, n) => String(n)),
    );
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
    const s = q.stats();
    expect(s).toMatchObject({ delivered: 25, pending: 0 });
    expect(s.accepted).toBe(s.delivered + s.failed + s.dropped);
    await q.shutdown();
    expect(existsSync(join(dir, "lock"))).toBe(false);

    // Delivered events are acknowledged: a third queue finds nothing to send.
    const again = client().ingest.queue({ spool: dir });
    expect(again.stats()).toMatchObject({ accepted: 0, pending: 0 });
    await again.shutdown();
    expect(ctx.server.accepted.size).toBe(25);
  }, 30_000);

  it("does not deliver twice within one process, and keeps nothing once delivered", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const q = client().ingest.queue({ spool: join(ctx.dir, "q2"), flushAt: 4, fsync: true });
    for (let n = 0; n < 10; n++) await q.enqueue(ev(n));
    await q.flush();
    await q.flush();
    expect([...ctx.server.accepted.values()]).toEqual(Array(10).fill(1));
    expect(readFileSync(join(ctx.dir, "q2/events.jsonl"), "utf8")).toBe("");
    expect(readFileSync(join(ctx.dir, "q2/acks.jsonl"), "utf8")).toBe("");
    await q.shutdown();
  });

  it("stays about as large as what is pending while events keep flowing", async () => {
    ctx.server.accepted.clear();
    let release!: () => void;
    const held = new Promise<boolean>((r) => (release = () => r(false)));
    let first = true;
    // The first batch hangs until released; the rest are answered.
    ctx.server.behave(() => (first ? ((first = false), held) : false));
    const dir = join(ctx.dir, "q3");
    const q = new AsyncPayi({
      apiKey: "spool-key",
      baseURL: ctx.server.url,
      logLevel: "off",
      timeout: 30_000,
    }).ingest.queue({ spool: dir, flushAt: 100, concurrency: 2 });
    for (let n = 0; n < 2_500; n++) await q.enqueue(ev(n));
    // Waits for the queue to have taken the answers, not for the server to have counted the
    // events: an answer on its way back still counts as pending.
    while (q.stats().delivered < 2_400) await new Promise((r) => setTimeout(r, 20));
    expect(q.stats().pending).toBe(100);
    expect(ctx.server.accepted.size).toBe(2_400);
    // 2,500 lines were appended; compaction keeps what is pending and little more.
    expect(lines(join(dir, "events.jsonl")).length).toBeLessThan(1_000);
    expect(lines(join(dir, "acks.jsonl")).length).toBeLessThan(1_000);
    release();
    await q.shutdown();
    expect(ctx.server.accepted.size).toBe(2_500);
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe("");
  });

  it("belongs to one queue at a time", async () => {
    ctx.server.behave(() => false);
    const dir = join(ctx.dir, "q4");
    const q = client().ingest.queue({ spool: dir });
    expect(() => client().ingest.queue({ spool: dir })).toThrow(/in use by another queue of this process/);
    await q.shutdown();
    const next = client().ingest.queue({ spool: dir });
    await next.shutdown();
  });

  it("recovers after a line cut short by a crash, without losing the next event", () => {
    const dir = join(ctx.dir, "q5");
    mkdirSync(dir);
    const e = (id: number) => JSON.stringify({ id, event: ev(id) });
    writeFileSync(join(dir, "events.jsonl"), `${e(1)}\n${e(2)}\n{"id":3,"event":{"categ`);
    writeFileSync(join(dir, "acks.jsonl"), "1\n");
    const first = new Spool<ReturnType<typeof ev>>(dir);
    expect(first.recover().map((x) => x.id)).toEqual([2]);
    const id = first.append(ev(7));
    first.close(); // the process "dies" with both events pending
    const second = new Spool<ReturnType<typeof ev>>(dir);
    const recovered = second.recover();
    expect(recovered.map((x) => x.event.properties.n)).toEqual(["2", "7"]);
    expect(recovered[1].id).toBe(id);
    second.close();
  });
});
