/**
 * Node's fs, readline and path, reached without a static import so that the package still
 * bundles for browsers and edge runtimes; the spool and backfill need them, the queue does not.
 */
import { PayiError } from "../runtime/errors.js";

export function node<T>(name: "node:fs" | "node:readline" | "node:path", feature: string): T {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const mod = p?.getBuiltinModule?.(name) as T | undefined;
  if (!mod) throw new PayiError(`${feature} needs Node.js 20.16+ (or Bun or Deno): it reads and writes files.`);
  return mod;
}
