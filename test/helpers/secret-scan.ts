// Every text an error exposes: its own properties (hidden and symbol-keyed ones too, and their
// names), its causes, headers and bodies all the way down, and what util.inspect, String and
// JSON.stringify make of it. A secret must appear in none of them.
import { inspect } from "node:util";

export function textsOf(root: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === "string") return void out.push(v);
    if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" || typeof v === "symbol")
      return void out.push(String(v));
    if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v) || depth > 20) return;
    seen.add(v);
    if (v instanceof Headers || v instanceof Map) for (const [k, x] of v) visit(k, depth + 1), visit(x, depth + 1);
    if (v instanceof Set) for (const x of v) visit(x, depth + 1);
    for (const key of Reflect.ownKeys(v)) {
      out.push(String(key));
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && "value" in d) visit(d.value, depth + 1);
    }
    if (v instanceof Error) {
      // Own or inherited: message, stack, cause, name.
      for (const k of ["message", "stack", "name", "cause"] as const)
        visit((v as unknown as Record<string, unknown>)[k], depth + 1);
    }
  };
  visit(root, 0);
  out.push(String(root), inspect(root, { depth: Infinity, showHidden: true }), safeJSON(root));
  return out;
}

function safeJSON(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "";
  } catch (e) {
    return String(e);
  }
}

/** The texts that hold the secret, for a readable failure. */
export function leaks(root: unknown, secret: string): string[] {
  return textsOf(root).filter((t) => t.includes(secret));
}
