// `payi backfill events.jsonl`: a summary at the end, and a non-zero exit when events were refused.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
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
  promisify(execFile)(process.execPath, [...(entry === "tsx" ? ["--import", "tsx", join(root, "src/cli.ts")] : [join(root, "dist/cli.js")]), ...args], {
    env: { ...process.env, PAYI_API_KEY: KEY, PAYI_BASE_URL: "" },
    timeout: 20_000,
  }).then(
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
    const file = write("ok.jsonl", Array.from({ length: 12 }, (_, n) => JSON.stringify(ev(n))));
    const { code, stdout } = await payi(["backfill", file, "--batch-size", "5", "--concurrency", "2", "--base-url", ctx.server.url]);
    expect(stdout).toMatch(/Done: 12 events read, 12 accepted, 0 refused, 3 batches/);
    expect(code).toBe(0);
    expect(ctx.server.accepted.size).toBe(12);
    expect(JSON.parse(readFileSync(`${file}.checkpoint`, "utf8"))).toEqual({ settled: 12, ahead: [] });
  });

  it("exits 1 when some were refused, and says where they are (run from source with tsx)", async () => {
    ctx.server.behave(() => false);
    const file = write("some-bad.jsonl", [JSON.stringify(ev(1)), "oops", JSON.stringify(ev(2, { properties: { refuse: "yes" } }))]);
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
});
