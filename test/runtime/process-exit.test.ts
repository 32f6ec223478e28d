// A script's process ends as soon as its calls have settled: no timer of a finished attempt,
// nor of a wait the caller cut short, keeps it alive until its time would have run out.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorBody, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

const script = fileURLToPath(new URL("../fixtures/one-call.ts", import.meta.url));

/** Runs the script; resolves to what it printed and whether it exited within `graceMs` of printing it. */
function run(mode: string, graceMs = 10_000): Promise<{ outcome: string; exitedPromptly: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, mode, server.url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      // The 60 s attempt timeout and the 30 s wait asked for are both far beyond the grace.
      timer ??= setTimeout(() => {
        child.kill();
        resolve({ outcome: out.trim(), exitedPromptly: false });
      }, graceMs);
    });
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve({ outcome: out.trim(), exitedPromptly: out !== "" });
    });
  });
}

describe("a script's process", () => {
  it("exits once a call that was retried has succeeded", { timeout: 60_000 }, async () => {
    server.handle((_r, res, n) =>
      n === 1 ? json(res, 503, errorBody(503, "busy"), { "retry-after-ms": "1" }) : json(res, 200, ingestOk),
    );
    expect(await run("retried")).toEqual({ outcome: "ok", exitedPromptly: true });
    expect(server.received).toHaveLength(2);
  });

  it("exits once a call has failed", { timeout: 60_000 }, async () => {
    server.handle((_r, res) => void res.socket!.destroy());
    expect(await run("failed")).toEqual({ outcome: "APIConnectionError", exitedPromptly: true });
  });

  it.each(["abort-at-wait", "abort-in-wait"])(
    "exits once a call aborted before a retry has rejected (%s), not after the 30 s wait asked for",
    { timeout: 60_000 },
    async (mode) => {
      server.handle((_r, res) => json(res, 429, errorBody(429, "slow down"), { "retry-after": "30" }));
      const started = Date.now();
      expect(await run(mode)).toEqual({ outcome: "APIUserAbortError", exitedPromptly: true });
      // Start-up included, far from the 30 s.
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(server.received).toHaveLength(1);
    },
  );
});
