/**
 * What the fake answers a request, and what it records of it: the document's examples, the
 * SDK's own schemas for checking, the failures asked for. Shared by `mock.fetch` (on the
 * caller's thread) and the server `mock.listen()` runs on a thread of its own.
 */
import type { IngestUnitsParams, OperationId } from "../generated/api.js";
import { examples } from "../generated/examples.js";
import { toUnitsEvent } from "../ingest/event.js";
import type { Violation } from "../runtime/errors.js";
import { AUTH_HEADER } from "../runtime/redact.js";
import { route } from "./route.js";
import { readParams } from "./wire-params.js";

/** One request the mock received. */
export interface MockRequest {
  /** The operation it addressed; undefined when it matched none (it was answered 404). */
  operation: OperationId | undefined;
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Headers;
  /** The JSON body, parsed; undefined when none was sent (or its text when it was not JSON). */
  body: unknown;
  /** The params object it carries, by the SDK's names (path, query, header and body together). */
  params: Record<string, unknown>;
  /** The status it was answered, or "hang" / "reset" when it was failed that way. */
  answer: number | "hang" | "reset";
  /** Why it was refused, when it broke the document. */
  violations?: Violation[];
}

/** How the next calls of an operation fail. */
export interface MockFailure {
  /** Answer this status: the document's example for it, else a generic error body. */
  status?: number;
  /** Never answer (until the request is aborted, say by the client's timeout, or the mock closes). */
  hang?: boolean;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** With `status`: answer this body instead. */
  body?: unknown;
  /** With `status`: answer these headers too (`retry-after`, `x-should-retry`). */
  headers?: Record<string, string>;
  /** How many calls fail; every call until `mock.reset()` when left out. */
  times?: number;
}

export type Answer =
  | { status: number; headers: Record<string, string>; body: unknown }
  | { hang: true }
  | { reset: true };

const GENERIC: Record<number, string> = { 4: "The request was refused.", 5: "The service failed." };

/** Prism's `Prefer` header: `code=404, example=name`. */
function prefer(headers: Headers): { code?: number; example?: string } {
  const out: { code?: number; example?: string } = {};
  for (const part of (headers.get("prefer") ?? "").split(",")) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (k === "code" && /^\d{3}$/.test(v ?? "")) out.code = Number(v);
    if (k === "example" && v) out.example = v;
  }
  return out;
}

function exampleAnswer(
  id: OperationId,
  status: number,
  name = "default",
  headers: Record<string, string> = {},
): Answer {
  const answers = examples[id].answers[status];
  if (!answers) {
    const generic = GENERIC[Math.floor(status / 100)];
    if (!generic)
      return {
        status: 500,
        headers,
        body: { message: `The document has no ${status} answer for ${id}.`, statusCode: 500 },
      };
    const base = (examples[id].answers[status >= 500 ? 500 : 400]?.default ?? {}) as Record<string, unknown>;
    return { status, headers, body: { ...base, message: generic, statusCode: status } };
  }
  if (!(name in answers) && Object.keys(answers).length) {
    return {
      status: 500,
      headers,
      body: { message: `The document has no example named ${name} for ${id}'s ${status} answer.`, statusCode: 500 },
    };
  }
  return { status, headers, body: answers[name] };
}

export function checkFailure(operation: string, failure: MockFailure): void {
  if (!Object.hasOwn(examples, operation))
    throw new TypeError(`mock.fail: no operation named ${JSON.stringify(operation)}`);
  const kinds = [failure.status !== undefined, failure.hang === true, failure.reset === true].filter(Boolean).length;
  if (kinds !== 1) throw new TypeError("mock.fail: give one of status, hang or reset");
  if (
    failure.status !== undefined &&
    !(Number.isInteger(failure.status) && failure.status >= 400 && failure.status <= 599)
  ) {
    throw new TypeError("mock.fail: status must be an error status, 400 to 599");
  }
  if (failure.times !== undefined && !(Number.isInteger(failure.times) && failure.times > 0))
    throw new TypeError("mock.fail: times must be a positive integer");
}

export interface Core {
  /** The answer to one request, with the record of it and the events it ingested. */
  answer(
    method: string,
    url: URL,
    headers: Headers,
    text: string,
  ): { answer: Answer; request: MockRequest; events: IngestUnitsParams[] };
  fail(operation: OperationId, failure: MockFailure): void;
  reset(): void;
}

export function createCore(): Core {
  const failures = new Map<OperationId, MockFailure & { left: number }>();

  function eventsOf(id: OperationId, params: Record<string, unknown>, answered: unknown): IngestUnitsParams[] {
    if (id === "ingest.units")
      return [
        Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as unknown as IngestUnitsParams,
      ];
    if (id === "ingest.bulk" && Array.isArray(params.events)) {
      // An example that refuses some (Prefer: example=partly-refused) did not ingest those.
      const refused = new Set(
        ((answered as { errors?: { item_index?: number }[] })?.errors ?? []).map((e) => e.item_index),
      );
      return params.events.filter((_, i) => !refused.has(i)).map((e) => toUnitsEvent(e));
    }
    return [];
  }

  return {
    answer(method, url, headers, text) {
      const found = route(method, url.pathname);
      const request: MockRequest = {
        operation: found?.id,
        method,
        url: url.pathname + url.search,
        headers,
        body: undefined,
        params: {},
        answer: 404,
      };
      if (text) {
        try {
          request.body = JSON.parse(text);
        } catch {
          request.body = text;
        }
      }
      let events: IngestUnitsParams[] = [];
      const done = (answer: Answer) => {
        request.answer = "status" in answer ? answer.status : "hang" in answer ? "hang" : "reset";
        return { answer, request, events };
      };
      if (!found)
        return done({
          status: 404,
          headers: {},
          body: { message: `No operation answers ${method} ${url.pathname}.`, statusCode: 404 },
        });
      const id = found.id;
      const { params, violations } = readParams(id, { path: found.path, query: url.searchParams, headers, body: text });
      request.params = params;

      const failure = failures.get(id);
      if (failure) {
        if (--failure.left <= 0) failures.delete(id);
        if (failure.hang) return done({ hang: true });
        if (failure.reset) return done({ reset: true });
        const a = exampleAnswer(id, failure.status!, "default", failure.headers);
        return done(failure.body !== undefined && "status" in a ? { ...a, body: failure.body } : a);
      }
      if (!headers.get(AUTH_HEADER)) return done(exampleAnswer(id, 401));
      if (violations.length) {
        request.violations = violations;
        return done(exampleAnswer(id, 422, "default", { "sl-violations": JSON.stringify(violations) }));
      }
      const pref = prefer(headers);
      const answer = exampleAnswer(id, pref.code ?? examples[id].ok, pref.example);
      if ("status" in answer && answer.status >= 200 && answer.status < 300) events = eventsOf(id, params, answer.body);
      return done(answer);
    },
    fail(operation, failure) {
      checkFailure(operation, failure);
      failures.set(operation, { ...failure, left: failure.times ?? Infinity });
    },
    reset() {
      failures.clear();
    },
  };
}
