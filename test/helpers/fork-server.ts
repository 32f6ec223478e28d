// The test server in a process of its own (server-process.mjs), for the sync client, whose
// calls block this thread: a server in this process could not answer them.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export async function forkServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL("./server-process.mjs", import.meta.url)), [], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const port = await new Promise<string>((r) => child.stdout!.once("data", (d) => r(String(d).trim())));
  return { child, url: `http://127.0.0.1:${port}` };
}
