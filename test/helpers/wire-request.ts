// A request for an operation built by hand from the operation table and a params object (SDK
// names), with plain fetch in mind: what a client of the API sends, without the SDK.
import type { OperationSpec } from "../../src/generated/operations.js";

export function wireRequest(base: string, spec: OperationSpec, params: Record<string, unknown>) {
  const path = spec.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])));
  const url = new URL(base + path);
  for (const [sdk, wire] of spec.query ?? [])
    if (params[sdk] !== undefined) url.searchParams.set(wire, String(params[sdk]));
  const headers: Record<string, string> = { "xProxy-api-key": "contract-test-key", accept: "application/json" };
  for (const [sdk, wire] of spec.headers ?? []) {
    const v = params[sdk];
    if (v !== undefined) headers[wire] = Array.isArray(v) ? v.join(",") : String(v);
  }
  let body: unknown;
  if (spec.arrayBody) body = params[spec.arrayBody];
  else if (spec.bodyFields)
    body = Object.fromEntries(spec.bodyFields.filter((f) => params[f] !== undefined).map((f) => [f, params[f]]));
  if (body !== undefined) headers["content-type"] = "application/json";
  return {
    url: url.href,
    init: { method: spec.method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
  };
}
