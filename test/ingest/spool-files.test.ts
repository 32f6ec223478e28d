// The spool's files as another process or an earlier version left them: whose lock it is,
// acknowledgements one id a line, ids never given twice, and a dead-letter file that cannot
// be written.
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AsyncPayi, type Logger } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { logs } from "./waits.js";

const ctx = useBulkServer("spool-files");
const client = (logger?: Logger) =>
  new AsyncPayi({
    apiKey: "spool-files-key",
    baseURL: ctx.server.url,
    maxRetries: 0,
    logger,
    logLevel: logger ? "debug" : "off",
  });
let n = 0;
/** A spool directory holding these files. */
const spool = (files: Record<string, string> = {}) => {
  const dir = join(ctx.dir, `spool-${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const record = (id: number, k: number) => `${JSON.stringify({ id, event: ev(k) })}\n`;
const reset = () => {
  ctx.server.accepted.clear();
  ctx.server.behave(() => false);
};
const delivered = () => [...ctx.server.accepted.keys()].map(Number).sort((a, b) => a - b);
/** Opens a queue on the spool and shuts it down: "opened", or the message of what it threw. */
const openHere = async (dir: string) => {
  try {
    await client().ingest.queue({ spool: dir }).shutdown();
    return "opened";
  } catch (e) {
    return (e as Error).message;
  }
};
/** The same, in a process of its own running as nobody (65534). */
const openAsNobody = (dir: string, home: string) => {
  const code = `import { AsyncPayi } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
try {
  await new AsyncPayi({ apiKey: "k", baseURL: ${JSON.stringify(ctx.server.url)}, logLevel: "off" }).ingest.queue({ spool: ${JSON.stringify(dir)} }).shutdown();
  console.log("opened");
} catch (e) {
  console.log(e.message);
}`;
  return new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", code],
      {
        timeout: 20_000,
        uid: 65534,
        gid: 65534,
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: { ...process.env, HOME: home },
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())),
    ),
  );
};

describe("a spool's lock", () => {
  it("held by a live process keeps the queue out, naming the process and the file to delete", () => {
    const dir = spool({ lock: String(process.ppid) });
    expect(() => client().ingest.queue({ spool: dir })).toThrow(
      `ingest.queue: the spool ${dir} is in use by process ${process.ppid}. Use one spool directory per queue; if that process is gone, delete ${join(dir, "lock")}.`,
    );
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.ppid));
  });

  it("held by a live process of another user keeps the queue out; once that process has ended, it is taken over", async () => {
    // Root may signal every process, so it never learns that one belongs to someone else: as root, the
    // queue opens in a child running as nobody (65534), and the lock holds a process of root's.
    // Without root, the lock holds pid 1 (init), and the queue opens here.
    const root = process.getuid?.() === 0;
    const base = mkdtempSync(join(tmpdir(), "payi-lock-"));
    const owner = root
      ? spawn(process.execPath, ["-e", "setTimeout(() => {}, 30_000)"], { stdio: "ignore" })
      : undefined;
    try {
      chmodSync(base, 0o777);
      const dir = join(base, "spool");
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const pid = owner?.pid ?? 1;
      writeFileSync(join(dir, "lock"), String(pid));
      chmodSync(join(dir, "lock"), 0o666);
      const opened = await (root ? openAsNobody(dir, base) : openHere(dir));
      expect(opened).toBe(
        `ingest.queue: the spool ${dir} is in use by process ${pid}. Use one spool directory per queue; if that process is gone, delete ${join(dir, "lock")}.`,
      );
      expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(pid));
      if (owner) {
        await new Promise((r) => (owner.once("exit", r), owner.kill()));
        const q = client().ingest.queue({ spool: dir });
        expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.pid));
        await q.shutdown();
      }
    } finally {
      owner?.kill();
      rmSync(base, { recursive: true, force: true });
    }
  });

  it.each(["not a pid", "0", "-4", "2.5"])("holding %j is taken over", async (text) => {
    const dir = spool({ lock: text });
    const q = client().ingest.queue({ spool: dir });
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.pid));
    await q.shutdown();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("taken over by another process meanwhile is left to it at shutdown", async () => {
    const dir = spool();
    const q = client().ingest.queue({ spool: dir });
    writeFileSync(join(dir, "lock"), String(process.ppid));
    await q.shutdown();
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(String(process.ppid));
  });
});

describe("a spool's records", () => {
  it("take acknowledgements written one id a line, and never give an id twice", async () => {
    reset();
    const dir = spool({ "events.jsonl": record(1, 1) + record(2, 2) + record(3, 3), "acks.jsonl": "2\n[9]\n" });
    const q = client().ingest.queue({ spool: dir, flushAt: 10 });
    expect(q.stats()).toMatchObject({ accepted: 2, pending: 2 });
    await q.enqueue(ev(4));
    const ids = readFileSync(join(dir, "events.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual([1, 2, 3, 10]); // past 9, acknowledged though never seen here
    await q.shutdown();
    expect(delivered()).toEqual([1, 3, 4]);
  });

  it("keep a refused event when the dead-letter file cannot be written, and say so", async () => {
    reset();
    const dir = spool();
    mkdirSync(join(dir, "dead-letter.jsonl"));
    const log = logs();
    const q = client(log.logger).ingest.queue({ spool: dir, flushAt: 2, onEventError: () => {} });
    await q.enqueue(ev(0));
    await q.enqueue(ev(1, { properties: { refuse: "yes" } }));
    await q.shutdown();
    expect(log.warnings().join("\n")).toMatch(
      /dead-letter file could not be written \(EISDIR.*; 1 refused event\(s\) stay in the spool/,
    );
    expect(q.stats()).toMatchObject({ delivered: 1, failed: 1, pending: 0 });
    const next = client().ingest.queue({ spool: dir });
    expect(next.stats()).toMatchObject({ accepted: 1, pending: 1 });
    await next.shutdown({ timeoutMs: 0 });
  });
});
