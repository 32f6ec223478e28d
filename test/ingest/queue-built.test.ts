// The queue's entry for events this SDK built itself (the instrumentation's): taken at once,
// without the check enqueue() makes of a user's event, and delivered exactly as enqueue()
// delivers the same event; a batch is checked again only when it holds an event recovered
// from a spool.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi, type IngestUnitsParams } from "../../src/index.js";
import { trusted } from "../../src/runtime/validate.js";
import { json } from "../helpers/server.js";
import { type FakePayi, startFakePayi } from "../instrument/fakes.js";

let payi: FakePayi;
beforeAll(async () => {
  payi = await startFakePayi();
});
afterAll(() => payi.close());
beforeEach(() => payi.reset());

const client = () => new AsyncPayi({ apiKey: "payi-test-key", baseURL: payi.url, logLevel: "off", maxRetries: 0 });
const event: IngestUnitsParams = {
  category: "system.openai",
  resource: "gpt-4o",
  units: { text: { input: 3, output: 2 }, text_cache_read: { input: 1 } },
  event_timestamp: "2026-11-29T10:00:00.000Z",
  end_to_end_latency_ms: 12,
  http_status_code: 200,
  provider_response_id: "chatcmpl-1",
  provider_request_json: '{"model":"gpt-4o"}',
  provider_response_json: ['{"a":1}', '{"b":2}'],
  resource_scope: "datazone",
  limit_ids: [" limit-a ", ""],
  properties: { "system.failure": "stream_abandoned" },
  use_case_name: "support",
  user_id: "u1",
};

describe("ingest queue: events built by the SDK", () => {
  it("are delivered as the same event checked", async () => {
    const q = client().ingest.queue();
    const own = { ...event };
    trusted.add(own);
    await q.enqueue(own);
    await q.enqueue(event);
    await q.flush();
    const [unchecked, checked] = payi.events();
    expect(unchecked).toEqual(checked);
    expect(unchecked).toMatchObject({ scope: "datazone", limit_ids: ["limit-a"], units: event.units });
    expect(unchecked).not.toHaveProperty("resource_scope");
    await q.shutdown();
  });

  it("go out in batches not checked again, as events checked when queued do", async () => {
    // Checked once is enough: a value the check would refuse shows that the batch was not checked.
    const refused: string[] = [];
    const q = client().ingest.queue({ onEventError: (e) => refused.push(e.message) });
    const odd = { ...event, units: { text: { input: 1.5, output: 1 } } };
    trusted.add(odd);
    await q.enqueue(odd);
    await q.enqueue({ ...event, provider_response_id: "chatcmpl-2" });
    await q.flush();
    expect(refused).toEqual([]);
    expect(payi.events().map((e) => e.units)).toEqual([odd.units, event.units]);
    await q.shutdown();
  });

  it("a batch holding an event recovered from a spool is checked: a bad one goes to onEventError, naming the field; the rest is delivered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "payi-built-"));
    try {
      // A spool written by hand (or by another version): its events were never checked by this process.
      const bulk = (id: string, input: number) => ({
        category: "system.openai",
        resource: "gpt-4o",
        units: { text: { input, output: 1 } },
        provider_response_id: id,
      });
      writeFileSync(
        join(dir, "events.jsonl"),
        `${JSON.stringify({ id: 1, event: bulk("spooled-odd", 1.5) })}\n${JSON.stringify({ id: 2, event: bulk("spooled-ok", 2) })}\n`,
      );
      const refused: string[] = [];
      const q = client().ingest.queue({ spool: dir, onEventError: (e) => refused.push(e.message) });
      const own = { ...event, provider_response_id: "chatcmpl-3" };
      trusted.add(own);
      await q.enqueue(own);
      await q.flush();
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain("units.text.input");
      expect(
        payi
          .events()
          .map((e) => e.provider_response_id)
          .sort(),
      ).toEqual(["chatcmpl-3", "spooled-ok"]);
      expect(q.stats()).toMatchObject({ accepted: 3, delivered: 2, failed: 1, pending: 0 });
      await q.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a batch mixing an event recovered from a spool with one checked as it was queued is checked whole: the recovered one is refused, naming the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "payi-built-"));
    try {
      const bulk = (id: string, input: number) => ({
        category: "system.openai",
        resource: "gpt-4o",
        units: { text: { input, output: 1 } },
        provider_response_id: id,
      });
      writeFileSync(
        join(dir, "events.jsonl"),
        [bulk("spooled-1", 1), bulk("spooled-2", 2), bulk("spooled-odd", 1.5)]
          .map((event, i) => `${JSON.stringify({ id: i + 1, event })}\n`)
          .join(""),
      );
      // The first batch (two recovered events) is answered once the user's event is queued:
      // the third recovered event then goes out in one batch with it.
      let release!: () => void;
      const queued = new Promise<void>((r) => (release = r));
      payi.handle(async (req, res, n) => {
        if (n === 1) await queued;
        const events = JSON.parse(req.body) as unknown[];
        json(res, 200, {
          ingest_count: events.length,
          ingest_timestamp: "2026-11-29T10:00:00Z",
          error_count: 0,
          errors: [],
        });
      });
      const refused: string[] = [];
      const q = client().ingest.queue({
        spool: dir,
        flushAt: 2,
        concurrency: 1,
        onEventError: (e) => refused.push(e.message),
      });
      await q.enqueue({ ...event, provider_response_id: "queued" });
      release();
      await q.flush();
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain("units.text.input");
      expect(
        payi.received.map((r) =>
          (JSON.parse(r.body) as { provider_response_id: string }[]).map((e) => e.provider_response_id),
        ),
      ).toEqual([["spooled-1", "spooled-2"], ["queued"]]);
      expect(q.stats()).toMatchObject({ accepted: 4, delivered: 3, failed: 1, pending: 0 });
      await q.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a user's event is still checked as it is queued", async () => {
    const q = client().ingest.queue();
    await expect(q.enqueue({ ...event, units: { text: { input: 1.5, output: 1 } } })).rejects.toThrow(
      /units\.text\.input/,
    );
    expect(q.stats().accepted).toBe(0);
    await q.shutdown();
  });
});
