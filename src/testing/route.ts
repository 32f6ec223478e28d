/** Which operation a request addresses, by the generated operation table, and its path params. */
import type { OperationId } from "../generated/api.js";
import { operations } from "../generated/operations.js";

interface Route {
  id: OperationId;
  method: string;
  pattern: RegExp;
  names: readonly string[];
}

// Literal paths before templated ones, so /limits/{id}/reset never takes /limits/{id}.
const routes: Route[] = (Object.keys(operations) as OperationId[])
  .map((id) => {
    const spec = operations[id];
    const pattern = new RegExp(`^${spec.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "([^/]+)")}$`);
    return {
      id,
      method: spec.method,
      pattern,
      names: spec.pathParams ?? [],
      literal: spec.path.replace(/\{[^}]+\}/g, "").length,
    };
  })
  .sort((a, b) => b.literal - a.literal);

export function route(method: string, pathname: string): { id: OperationId; path: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(pathname);
    if (!m) continue;
    try {
      return { id: r.id, path: Object.fromEntries(r.names.map((name, i) => [name, decodeURIComponent(m[i + 1])])) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
