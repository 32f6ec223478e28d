// `payi backfill events.jsonl`: a summary at the end, and a non-zero exit when events were refused.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "cli-key-never-printed";
const ctx = useBulkServer("cli");

/** The built bin (what `npx payi` runs; the test setup builds dist/), or the source through tsx. */
const payi = (args: string[], entry: "dist" | "tsx" = "dist") =>
  promisify(execFile)(
    process.execPath,
    [...(entry === "tsx" ? ["--import", "tsx", join(root, "src/cli.ts")] : [join(root, "dist/cli.js")]), ...args],
    {
      env: { ...process.env, PAYI_API_KEY: KEY, PAYI_BASE_URL: "" },
      timeout: 20_000,
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const write = (name: string, lines: string[]) => {
  const file = join(ctx.dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
};

describe("payi backfill", () => {
  it("exits 0 when every event was accepted, with a summary", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const file = write(
      "ok.jsonl",
      Array.from({ length: 12 }, (_, n) => JSON.stringify(ev(n))),
    );
    const { code, stdout } = await payi([
      "backfill",
      file,
      "--batch-size",
      "5",
      "--concurrency",
      "2",
      "--base-url",
      ctx.server.url,
    ]);
    expect(stdout).toMatch(/Done: 12 events read, 12 accepted, 0 refused, 3 batches/);
    expect(code).toBe(0);
    expect(ctx.server.accepted.size).toBe(12);
    expect(JSON.parse(readFileSync(`${file}.checkpoint`, "utf8"))).toEqual({ settled: 12, ahead: [] });
  });

  it("exits 1 when some were refused, and says where they are (run from source with tsx)", async () => {
    ctx.server.behave(() => false);
    const file = write("some-bad.jsonl", [
      JSON.stringify(ev(1)),
      "oops",
      JSON.stringify(ev(2, { properties: { refuse: "yes" } })),
    ]);
    const rejects = join(ctx.dir, "refused.jsonl");
    const { code, stdout } = await payi(["backfill", file, "--base-url", ctx.server.url, "--rejects", rejects], "tsx");
    expect(code).toBe(1);
    expect(stdout).toMatch(/3 events read, 1 accepted, 2 refused/);
    expect(stdout).toContain(rejects);
    expect(readFileSync(rejects, "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("exits 1 when the service refuses the key, without printing it", async () => {
    ctx.server.behave((_r, res) => (json(res, 401, { message: "Invalid API key", statusCode: 401 }), true));
    const file = write("auth.jsonl", [JSON.stringify(ev(1))]);
    const { code, stdout, stderr } = await payi(["backfill", file, "--base-url", ctx.server.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/401 Invalid API key/);
    expect(stderr).toMatch(/run the same command again/);
    expect(stdout + stderr).not.toContain(KEY);
  });

  it("explains its usage, with exit status 2", async () => {
    expect((await payi([])).code).toBe(2);
    const bad = await payi(["backfill", join(ctx.dir, "ok.jsonl"), "--batch-size", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--batch-size takes a positive integer/);
    expect((await payi(["backfill", join(ctx.dir, "missing.jsonl")])).stderr).toMatch(/no such file/);
    const help = await payi(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: payi backfill/);
  });
  it("stops on SIGTERM as on Ctrl-C: a summary, a checkpoint, and the next run resumes without resending", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(async () => (await new Promise((r) => setTimeout(r, 100)), false));
    const file = write(
      "term.jsonl",
      Array.from({ length: 60 }, (_, n) => JSON.stringify(ev(n))),
    );
    const child = spawn(
      process.execPath,
      [
        join(root, "dist/cli.js"),
        "backfill",
        file,
        "--batch-size",
        "5",
        "--concurrency",
        "1",
        "--base-url",
        ctx.server.url,
      ],
      {
        env: { ...process.env, PAYI_API_KEY: KEY, PAYI_BASE_URL: "" },
      },
    );
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    while (ctx.server.accepted.size < 5) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Interrupted: \d+ events read, \d+ accepted/m);
    expect(stdout).toMatch(/Run the same command again to resume/);
    const settled = JSON.parse(readFileSync(`${file}.checkpoint`, "utf8")).settled;
    expect(settled).toBeGreaterThanOrEqual(5);
    expect(settled).toBeLessThan(60);
    ctx.server.behave(() => false);
    const again = await payi(["backfill", file, "--base-url", ctx.server.url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${settled} skipped`);
    expect(ctx.server.accepted.size).toBe(60);
    expect([...ctx.server.accepted.values()].every((c) => c === 1)).toBe(true);
  });

  it("sends its rejects file again as it is", async () => {
    ctx.server.accepted.clear();
    ctx.server.behave(() => false);
    const file = write("refused-once.jsonl", [
      JSON.stringify(ev(1, { properties: { refuse: "yes" } })),
      JSON.stringify(ev(2)),
    ]);
    const first = await payi(["backfill", file, "--base-url", ctx.server.url]);
    expect(first.code).toBe(1);
    const rejects = `${file}.rejects.jsonl`;
    expect(existsSync(rejects)).toBe(true);
    // The service now takes it.
    ctx.server.behave((req, res) =>
      req.body.includes("refuse") ? (json(res, 200, { ingest_count: 1, error_count: 0, errors: [] }), true) : false,
    );
    const again = await payi(["backfill", rejects, "--base-url", ctx.server.url]);
    expect(again.stdout).toMatch(/Done: 1 events read, 1 accepted, 0 refused/);
    expect(again.code).toBe(0);
    expect((await payi(["backfill", rejects, "--rejects", rejects])).stderr).toMatch(
      /--rejects must not be the file being sent/,
    );
  });

  it("prints its version and its help", async () => {
    const version = await payi(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
    const help = await payi(["backfill", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--version/);
    expect(help.stdout).toMatch(/dead-letter file/);
  });
});
