/**
 * One event as `ingest.units` takes it, checked and turned into the shape of a bulk event
 * (BulkIngestRequest). What `ingest.units` sends as headers is a body field of a bulk event,
 * under the same name unless the spec renames it (`x-payi-bulk-field`: resource_scope is
 * `scope` there); limit_ids are trimmed and blank ones dropped, as the header would be. A
 * param with no bulk field (disable_logging) is refused when it asks for something, rather
 * than sent without it.
 */
import type { BulkIngestRequest, IngestUnitsParams } from "../generated/api.js";
import { bulkForms } from "../generated/bulk.js";
import { operations } from "../generated/operations.js";
import { PayiValidationError } from "../runtime/errors.js";
import { normalize } from "../runtime/params.js";
import { trusted, validateParams } from "../runtime/validate.js";

/** ingest.units params whose bulk field has another name. */
const RENAMED: Readonly<Record<string, string>> = bulkForms["ingest.units"].renamed;
/**
 * ingest.units params a bulk event cannot carry: refused when they ask for something
 * (true) rather than dropped; false or null ask for what a bulk event does anyway.
 */
const UNSUPPORTED: readonly string[] = bulkForms["ingest.units"].unsupported;

/** Validates an event (the `ingest.units` params) and returns it as a bulk event; throws PayiValidationError. */
// Stryker disable next-line StringLiteral: the queue and backfill always say where
export async function toBulkEvent(event: IngestUnitsParams, where = "ingest event"): Promise<BulkIngestRequest> {
  let value = event as unknown as Record<string, unknown>;
  // One this SDK built from typed code (the instrumentation's) is taken as it is.
  if (!trusted.has(event)) {
    if (!event || typeof event !== "object" || Array.isArray(event))
      throw new PayiValidationError(where, [{ path: "", message: "an event must be an object" }]);
    const proto = protoKeys(event, "");
    if (proto.length) {
      throw new PayiValidationError(
        where,
        proto.map((path) => ({
          path,
          message: "a key named __proto__ cannot be sent: JavaScript objects do not keep it as data",
        })),
      );
    }
    const present = UNSUPPORTED.filter((k) => value[k] === true);
    if (present.length) {
      throw new PayiValidationError(
        where,
        present.map((path) => ({
          path,
          message: "cannot be sent in a bulk ingest; send this event with client.ingest.units",
        })),
      );
    }
    const n = normalize(operations["ingest.units"], value);
    value = n.value;
    // In a bulk event these are JSON body fields, not headers: any text is fine.
    await validateParams(
      "ingest.units",
      value,
      n.issues.filter((i) => i.code !== "invalid_header_value"),
    ).catch((err) => {
      throw err instanceof PayiValidationError ? new PayiValidationError(where, err.issues) : err;
    });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Stryker disable next-line ConditionalExpression: a field set to undefined is left out of the JSON either way
    if (v === undefined || UNSUPPORTED.includes(k)) continue;
    if (k === "limit_ids" && Array.isArray(v)) {
      const ids = v.map((x) => String(x).trim()).filter(Boolean);
      if (ids.length) out.limit_ids = ids;
      continue;
    }
    out[RENAMED[k] ?? k] = v;
  }
  // Checked now: a batch of such events is sent without checking each again.
  trusted.add(out);
  return out as unknown as BulkIngestRequest;
}

/** A bulk event back in the `ingest.units` form, which is what a rejects or dead-letter file holds, so it can be sent again as it is. */
export function toUnitsEvent(bulk: BulkIngestRequest): IngestUnitsParams {
  const out: Record<string, unknown> = {};
  const back = Object.fromEntries(Object.entries(RENAMED).map(([k, v]) => [v, k]));
  for (const [k, v] of Object.entries(bulk)) out[back[k] ?? k] = v;
  return out as unknown as IngestUnitsParams;
}

/**
 * Paths of own `__proto__` keys (as JSON.parse makes them): copying such an object sets its
 * prototype instead of a field, so the key would vanish, or turn up elsewhere, on the way out.
 */
function protoKeys(value: unknown, path: string, seen = new Set<object>()): string[] {
  // Stryker disable next-line ConditionalExpression: a string has no own __proto__ key: looking into one finds nothing
  if (!value || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  if (Object.hasOwn(value, "__proto__")) out.push(path ? `${path}.__proto__` : "__proto__");
  for (const [k, v] of Object.entries(value)) out.push(...protoKeys(v, path ? `${path}.${k}` : k, seen));
  return out;
}
