/**
 * English messages for validation issues, as a per-parse zod error map. zod/mini ships no
 * messages, and its English locale covers every schema kind zod has; the schemas generated
 * from the spec raise only the issues below, so this costs a fraction of that in a bundle.
 * Passed per parse rather than set globally, so an application's own zod messages are not ours.
 */
import type { core } from "zod/mini";

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isNaN(v) ? "NaN" : typeof v);

const units: Record<string, string> = { string: " character", array: " item", set: " item" };

function bound(issue: { origin: string; inclusive?: boolean }, cmp: ">" | "<", n: unknown): string {
  const unit = units[issue.origin];
  if (unit) return `must have ${cmp === ">" ? "at least" : "at most"} ${n}${unit}${n === 1 ? "" : "s"}`;
  return `must be ${cmp}${issue.inclusive === false ? "" : "="} ${n}`;
}

export const issueMessages: core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "required";
      const integer =
        issue.expected === "int" ||
        // Stryker disable next-line OptionalChaining: zod gives every invalid_type issue its schema, which has _zod.def
        (issue.inst as { _zod?: { def?: { format?: string } } } | undefined)?._zod?.def?.format === "safeint";
      return `expected ${integer ? "integer" : issue.expected}, received ${kind(issue.input)}`;
    }
    case "too_small":
      return bound(issue, ">", issue.minimum);
    case "too_big":
      return bound(issue, "<", issue.maximum);
    case "invalid_format":
      return issue.format === "datetime"
        ? "must be an ISO 8601 date-time (such as 2025-02-03T10:00:00Z) or a Date"
        : `must be a valid ${issue.format}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "unknown field";
    case "invalid_key":
      return "has a key that is not allowed";
    case "invalid_element":
      return "has an entry that is not allowed";
    case "invalid_union":
      return "matches none of the allowed forms";
    default:
      return "is not valid";
  }
};
