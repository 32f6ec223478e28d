/** Units of one call as `ingest.units` takes them: unit kind to input and output counts. */
export type Units = Record<string, { input: number; output: number }>;

/** A finite, positive count, or 0 for anything else (absent fields, nulls, strings). */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Adds to a unit kind; kinds whose counts stay 0 are not created. */
export function addUnits(units: Units, kind: string, input: number, output = 0): void {
  if (input <= 0 && output <= 0) return;
  const u = (units[kind] ??= { input: 0, output: 0 });
  u.input += Math.max(0, input);
  u.output += Math.max(0, output);
}

/** A nested field of a parsed JSON value, or undefined. */
export function field(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const k of path) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Properties Pay-i reads on an event: a failure and its description. */
export const FAILURE = "system.failure";
export const FAILURE_DESCRIPTION = "system.failure.description";
