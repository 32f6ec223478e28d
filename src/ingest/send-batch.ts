/**
 * One bulk request for the queue and backfill, where one bad event never costs its
 * neighbours: events the bulk check refuses before sending are set apart by their index
 * and the rest sent; a 400, 413 or 422 for the whole request is narrowed down by halves
 * to the events it is about. What comes back says, event by event (by index), what happened.
 */
import type { BulkIngestRequest, BulkIngestResponse } from "../generated/api.js";
import type { AsyncClient } from "../runtime/async-client.js";
import { trusted } from "../runtime/validate.js";
import { APIConnectionError, APIError, APIUserAbortError, PayiValidationError } from "../runtime/errors.js";

export type Refusal = { message: string; code?: string; statusCode?: number };

export interface BatchOutcome {
  delivered: number[];
  refused: [number, Refusal][];
  /** Refused as a whole, not for anything about single events (401, 403, ...). */
  failed: { error: Error; at: number[] }[];
  /** Worth another try: no answer, a timeout, 408, 429, 5xx, or stopped by the signal. */
  again: { error: Error; at: number[] }[];
}

export async function sendBatch(
  client: AsyncClient,
  events: BulkIngestRequest[],
  signal?: AbortSignal,
): Promise<BatchOutcome> {
  const out: BatchOutcome = { delivered: [], refused: [], failed: [], again: [] };
  await attempt(client, events, [...events.keys()], out, signal);
  return out;
}

/** A refusal as one line: status, code, message. */
export function describe(r: Refusal): string {
  // An error's message may start with its status already.
  // Stryker disable next-line ConditionalExpression: with no status, both branches give undefined
  const status = r.statusCode !== undefined && !r.message.startsWith(`${r.statusCode} `) ? r.statusCode : undefined;
  // Stryker disable next-line ConditionalExpression: no part is null (the answer's nulls become undefined)
  return [status, r.code, r.message].filter((x) => x !== undefined && x !== null && x !== "").join(" ") || "refused";
}

async function attempt(
  client: AsyncClient,
  all: BulkIngestRequest[],
  at: number[],
  out: BatchOutcome,
  signal: AbortSignal | undefined,
): Promise<void> {
  // Stryker disable next-line ConditionalExpression: the client refuses an aborted signal alike, sending nothing
  if (signal?.aborted) return void out.again.push({ error: new APIUserAbortError(), at });
  let answer: BulkIngestResponse;
  try {
    // The client retries connection errors, timeouts, 408/409/429/5xx with backoff and Retry-After.
    const params = { events: at.map((i) => all[i]) };
    // Events checked when enqueued are not checked again; one recovered from a spool makes the batch checked whole.
    if (params.events.every((e) => trusted.has(e))) trusted.add(params);
    answer = await client.ingest.bulk(params, { signal });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const status = error instanceof APIError ? error.status : undefined;
    if (error instanceof PayiValidationError) {
      const why = new Map<number, string[]>();
      for (const issue of error.issues) {
        // "s": a key may hold a line break.
        // Stryker disable next-line Regex: anchors change no match (paths start with events.N; .* runs to the end)
        const m = /^events\.(\d+)\.?(.*)$/s.exec(issue.path);
        // Stryker disable next-line all: as above, every issue names an event of this request
        const k = m ? Number(m[1]) : -1;
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: as above
        if (k >= 0 && k < at.length) why.set(k, [...(why.get(k) ?? []), `${m![2] || "(event)"}: ${issue.message}`]);
      }
      // Stryker disable all: never met (every issue names an event), kept so that one would not loop
      if (!why.size)
        return void (at.length === 1
          ? out.refused.push([at[0], { message: error.message }])
          : out.failed.push({ error, at }));
      // Stryker restore all
      for (const [k, messages] of why)
        out.refused.push([at[k], { message: messages.join("; "), code: "invalid_params" }]);
      const rest = at.filter((_, k) => !why.has(k));
      return rest.length ? attempt(client, all, rest, out, signal) : undefined;
    }
    if (
      error instanceof APIUserAbortError ||
      error instanceof APIConnectionError ||
      status === 408 ||
      status === 429 ||
      (status ?? 0) >= 500
    ) {
      return void out.again.push({ error, at });
    }
    if (status === 400 || status === 413 || status === 422) {
      if (at.length === 1) return void out.refused.push([at[0], { message: error.message, statusCode: status }]);
      const half = Math.ceil(at.length / 2);
      await attempt(client, all, at.slice(0, half), out, signal);
      return attempt(client, all, at.slice(half), out, signal);
    }
    return void out.failed.push({ error, at });
  }
  const refused = new Map<number, Refusal>();
  // Stryker disable next-line ArrayDeclaration: an element with no item_index is skipped below
  for (const e of answer?.errors ?? []) {
    const k = e?.item_index;
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: only 0..at.length-1 is read
    if (Number.isInteger(k) && k! >= 0 && k! < at.length) {
      const r = e.xproxy_result;
      refused.set(k!, {
        message: r?.message ?? "refused",
        code: r?.xproxy_error?.code ?? undefined,
        statusCode: r?.statusCode ?? undefined,
      });
    }
  }
  at.forEach((i, k) => (refused.has(k) ? out.refused.push([i, refused.get(k)!]) : out.delivered.push(i)));
}
