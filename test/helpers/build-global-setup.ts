// The package tests (consumer, Bun, Deno) use the built dist/: build it once per run, first.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup() {
  execFileSync("npm", ["run", "-s", "build"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "ignore", "inherit"],
  });
}
