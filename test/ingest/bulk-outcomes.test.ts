// What a spooled queue does with each outcome of a bulk request, as its dead-letter file,
// onEventError and onError show it: events the bulk check refuses are told apart by the
// path of each issue, a refusal keeps what the service said of it, and a batch the service
// could not take now stays in the spool for the next try.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { json } from "../helpers/server.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { numbers } from "./waits.js";

const ctx = useBulkServer("bulk-outcomes");
const client = () => new AsyncPayi({ apiKey: "outcome-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });
let spools = 0;
/** A spool directory holding these events, as a previous run (or a hand) left them: they are sent without a fresh check. */
function spoolOf(events: unknown[]): string {
  const dir = join(ctx.dir, `spool-${++spools}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "events.jsonl"),
    events.map((event, k) => `${JSON.stringify({ id: k + 1, event })}\n`).join(""),
  );
  return dir;
}
const deadLetters = (dir: string): { event: { properties?: { n?: string } }; reason: string }[] =>
  existsSync(join(dir, "dead-letter.jsonl"))
    ? readFileSync(join(dir, "dead-letter.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const delivered = () => [...ctx.server.accepted.keys()].map(Number).sort((a, b) => a - b);
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};

describe("a spooled batch the bulk check refuses in part", () => {
  it("refuses each bad event by its own path (past the tenth, the event itself, a key with a line break); the rest are delivered", async () => {
    reset();
    const events: unknown[] = Array.from({ length: 13 }, (_, n) => ev(n));
    events[11] = ev(11, { units: { text: { input: "lots" } }, http_status_code: "ok" });
    events[3] = "not an event";
    events[5] = ev(5, { properties: { "two\nlines": 7 } });
    const dir = spoolOf(events);
    const refused: string[] = [];
    const failed: Error[] = [];
    const q = client().ingest.queue({
      spool: dir,
      onEventError: (err) => refused.push(err.message),
      onError: (err) => failed.push(err),
    });
    await q.flush();
    expect(failed).toEqual([]);
    expect(ctx.server.received).toHaveLength(1);
    expect(delivered()).toEqual([0, 1, 2, 4, 6, 7, 8, 9, 10, 12]);
    expect(refused.sort()).toEqual([
      "(event): expected object, received string",
      "properties.two\nlines: expected string, received number",
      "units.text.input: expected integer, received string; http_status_code: expected integer, received string",
    ]);
    expect(
      deadLetters(dir)
        .map((d) => d.reason)
        .sort(),
    ).toEqual(refused.map((m) => `invalid_params ${m}`));
    await q.shutdown();
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe("");
  });
});

describe("a refusal in a bulk answer", () => {
  it("reaches onEventError as the service said it ('refused' when it gave no message) and the dead-letter file as one line", async () => {
    reset((req, res) => {
      const sent = numbers(req.body);
      const errors = [
        { item_index: 0 },
        { item_index: 1, xproxy_result: { message: "", statusCode: 404 } },
        { item_index: 2, xproxy_result: { message: "gone", statusCode: 404, xproxy_error: { code: "" } } },
      ];
      json(res, 200, { ingest_count: sent.length - errors.length, error_count: errors.length, errors });
      return true;
    });
    const dir = spoolOf([ev(0), ev(1), ev(2), ev(3)]);
    const refusals: unknown[] = [];
    const q = client().ingest.queue({
      spool: dir,
      onEventError: (err, e) => (refusals[Number(e.properties?.n)] = err),
    });
    await q.flush();
    expect(refusals).toEqual([
      { message: "refused" },
      { message: "", statusCode: 404 },
      { message: "gone", statusCode: 404, code: "" },
    ]);
    expect(deadLetters(dir).map((d) => [d.event.properties?.n, d.reason])).toEqual([
      ["0", "refused"],
      ["1", "404"],
      ["2", "404 gone"],
    ]);
    expect(q.stats()).toMatchObject({ accepted: 4, delivered: 1, failed: 3, pending: 0 });
    await q.shutdown();
  });
});

describe("a 200 with no body", () => {
  it("refuses nothing: every event of the batch is delivered and leaves the spool", async () => {
    reset((_req, res) => (res.writeHead(200).end(), true));
    const dir = spoolOf([ev(0), ev(1)]);
    const reported: unknown[] = [];
    const q = client().ingest.queue({
      spool: dir,
      onError: (e) => reported.push(e),
      onEventError: (e) => reported.push(e),
    });
    await q.flush();
    expect(reported).toEqual([]);
    expect(q.stats()).toMatchObject({ accepted: 2, delivered: 2, failed: 0, pending: 0 });
    await q.shutdown();
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe("");
  });
});

describe("a status for the whole request", () => {
  it.each([408, 429, 500, 503])(
    "%i: the batch stays in the spool and goes again, neither dead-lettered nor reported failed",
    async (status) => {
      let answered = false;
      reset((_req, res) => {
        if (answered) return false;
        answered = true;
        // Retry-After 0: the queue's wait before the next try is none, so the test need not wait.
        json(res, status, { message: "not now", statusCode: status }, { "retry-after": "0" });
        return true;
      });
      const dir = spoolOf([ev(0), ev(1)]);
      const reported: unknown[] = [];
      const q = client().ingest.queue({
        spool: dir,
        onError: (err) => reported.push(err),
        onEventError: (err) => reported.push(err),
      });
      await q.flush();
      expect(reported).toEqual([]);
      expect(deadLetters(dir)).toEqual([]);
      expect(q.stats()).toMatchObject({ failed: 0 });
      await q.flush();
      expect(delivered()).toEqual([0, 1]);
      expect(ctx.server.received).toHaveLength(2);
      expect(q.stats()).toMatchObject({ accepted: 2, delivered: 2, failed: 0, pending: 0 });
      await q.shutdown();
    },
  );
});
