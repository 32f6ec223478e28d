// `payi backfill events.jsonl`: a summary at the end, and a non-zero exit when events were refused.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ev, useBulkServer } from "./bulk-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ctx = useBulkServer("cli");

const payi = (args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, "dist/cli.js"), ...args], { env: { ...process.env, PAYI_API_KEY: "cli-key" }, timeout: 20_000 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

describe("payi backfill (the built bin)", () => {
  it("exits 0 when every event was accepted, with a summary", async () => {
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "ok.jsonl");
    writeFileSync(file, Array.from({ length: 12 }, (_, n) => JSON.stringify(ev(n))).join("\n"));
    const { code, stdout } = await payi(["backfill", file, "--batch-size", "5", "--base-url", ctx.server.url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Done: 12 events read, 12 accepted, 0 refused, 3 batches/);
  });

  it("exits 1 when some were refused, and says where they are", async () => {
    ctx.server.behave(() => false);
    const file = join(ctx.dir, "some-bad.jsonl");
    writeFileSync(file, [JSON.stringify(ev(1)), "oops", JSON.stringify(ev(2, { properties: { refuse: "yes" } }))].join("\n"));
    const { code, stdout } = await payi(["backfill", file, "--base-url", ctx.server.url]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/3 events read, 1 accepted, 2 refused/);
    expect(stdout).toContain(`${file}.rejects.jsonl`);
  });

  it("explains its usage", async () => {
    const { code } = await payi([]);
    expect(code).toBe(2);
  });
});
