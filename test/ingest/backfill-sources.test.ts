// What backfill makes of each item of its source (an event, a line of its own rejects file,
// something that is neither), how it batches by default, and which files it leaves.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncPayi, type IngestUnitsParams } from "../../src/index.js";
import { ev, useBulkServer } from "./bulk-server.js";
import { numbers, until } from "./waits.js";

const ctx = useBulkServer("backfill-sources");
const client = () => new AsyncPayi({ apiKey: "sources-key", baseURL: ctx.server.url, maxRetries: 0, logLevel: "off" });
let files = 0;
const file = (name: string) => join(ctx.dir, `${++files}-${name}`);
const reset = (behave: Parameters<typeof ctx.server.behave>[0] = () => false) => {
  ctx.server.accepted.clear();
  ctx.server.received.length = 0;
  ctx.server.behave(behave);
};
const readJsonl = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("a backfill source item", () => {
  it("that is not an event is refused with every reason, the event itself named '(event)'; its batch is sent", async () => {
    reset();
    const rejects = file("rejects.jsonl");
    const summary = await client().ingest.backfill(
      [ev(0), null, { category: 5, units: { text: { input: "lots" } } }, "text", ev(4)] as IngestUnitsParams[],
      { rejects },
    );
    expect(summary).toMatchObject({ read: 5, sent: 2, accepted: 2, rejected: 3 });
    expect(readJsonl(rejects).map((r) => [r.index, r.reason])).toEqual([
      [1, "(event): an event must be an object"],
      [2, "category: expected string, received number; units.text.input: expected integer, received string"],
      [3, "(event): an event must be an object"],
    ]);
  });

  it("with an event field but no reason (or the reverse) is taken as an event, not as a line of a rejects file", async () => {
    reset();
    const rejects = file("rejects.jsonl");
    const summary = await client().ingest.backfill(
      [
        { event: ev(0) },
        { reason: "no event" },
        { event: ev(2), reason: "refused before" },
      ] as unknown as IngestUnitsParams[],
      { rejects },
    );
    expect(summary).toMatchObject({ accepted: 1, rejected: 2 });
    expect([...ctx.server.accepted.keys()]).toEqual(["2"]);
    expect(readJsonl(rejects).map((r) => [r.index, r.reason])).toEqual([
      [0, "category: required; units: required; event: unknown field"],
      [1, "category: required; units: required; reason: unknown field"],
    ]);
  });

  it("from a rejects file, whose event is the text of a line that was not JSON, is that text again: sent when it now parses", async () => {
    reset();
    const source = file("rejects.jsonl");
    writeFileSync(
      source,
      [
        { index: 0, line: 1, event: JSON.stringify(ev(7)), reason: "not JSON: fixed since" },
        { index: 1, line: 2, event: "{still not", reason: "not JSON: Unexpected token" },
      ]
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(""),
    );
    const rejects = file("rejects.jsonl");
    const summary = await client().ingest.backfill(source, { rejects });
    expect(summary).toMatchObject({ accepted: 1, rejected: 1 });
    expect([...ctx.server.accepted.keys()]).toEqual(["7"]);
    const [again] = readJsonl(rejects);
    expect(again).toMatchObject({ index: 1, line: 2, event: "{still not" });
    expect(again.reason).toMatch(/^not JSON: /);
  });

  it("of a file, a line of blanks only is no event: it is neither counted nor refused", async () => {
    reset();
    const source = file("events.jsonl");
    writeFileSync(source, `${JSON.stringify(ev(0))}\n   \n\t\n${JSON.stringify(ev(1))}\n`);
    const rejects = file("rejects.jsonl");
    const summary = await client().ingest.backfill(source, { rejects });
    expect(summary).toMatchObject({ read: 2, accepted: 2, rejected: 0 });
    expect(existsSync(rejects)).toBe(false); // no file while nothing is refused
  });
});

describe("a batch", () => {
  it("whose every event is refused before sending sends nothing, and counts them rejected", async () => {
    reset();
    const rejects = file("rejects.jsonl");
    const progress: unknown[] = [];
    const summary = await client().ingest.backfill([null, "text"] as unknown as IngestUnitsParams[], {
      rejects,
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({ read: 2, sent: 0, accepted: 0, rejected: 2, batches: 1 });
    expect(progress).toEqual([{ read: 2, sent: 0, accepted: 0, rejected: 2, skipped: 0, batches: 1 }]);
    expect(ctx.server.received).toEqual([]);
    expect(readJsonl(rejects).map((r) => r.index)).toEqual([0, 1]);
  });

  it("with refused events and no rejects file counts them, and writes nothing", async () => {
    reset();
    const summary = await client().ingest.backfill([ev(0), null, ev(2, { properties: { refuse: "yes" } })] as never);
    expect(summary).toMatchObject({ read: 3, sent: 2, accepted: 1, rejected: 2 });
  });
});

describe("backfill by default", () => {
  it("sends 500 events a request and keeps 4 requests in flight, reading no further meanwhile", async () => {
    const held: (() => void)[] = [];
    reset(() => new Promise<boolean>((r) => held.push(() => r(false))));
    let pulled = 0;
    function* source(): Generator<IngestUnitsParams> {
      for (let n = 0; n < 2_100; n++) {
        pulled++;
        yield ev(n);
      }
    }
    const done = client().ingest.backfill(source());
    await until(() => ctx.server.received.length === 4);
    expect(pulled).toBe(2_000);
    expect(ctx.server.received.map((r) => numbers(r.body).length)).toEqual([500, 500, 500, 500]);
    while (held.length) held.shift()!();
    await until(() => ctx.server.received.length === 5);
    while (held.length) held.shift()!();
    expect(await done).toMatchObject({ read: 2_100, accepted: 2_100, batches: 5 });
    expect(numbers(ctx.server.received[4].body)).toHaveLength(100);
  });
});
