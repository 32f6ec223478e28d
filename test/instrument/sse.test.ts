// The SSE splitter under the stream tap: however the bytes are cut into chunks, and whichever
// line ends the server uses, it finds the same events as reading the whole text at once.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseSplitter, type SseEvent } from "../../src/instrument/sse.js";

/** The reference: the whole text, cut at blank lines by a regular expression, fields read line by line. */
function reference(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  const boundary = /\r\n\r\n|\n\n|\r\r/g;
  let at = 0;
  const read = (raw: string, body: string) => {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of body.split(/\r\n|\n|\r/)) {
      if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
      else if (line.startsWith("event:")) event = line.slice(line[6] === " " ? 7 : 6);
    }
    return { raw, event, data: data.join("\n") };
  };
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) {
    out.push(read(text.slice(at, m.index + m[0].length), text.slice(at, m.index)));
    at = m.index + m[0].length;
  }
  const rest = text.slice(at);
  if (rest.trim()) out.push(read(rest, rest));
  return out;
}

const field = fc.string({ unit: fc.constantFrom("a", "é", "{", '"', ":", " ", "\u{1F600}"), maxLength: 12 });
const line = fc.oneof(
  field.map((v) => `data: ${v}`),
  field.map((v) => `data:${v}`),
  field.map((v) => `event: ${v}`),
  field.map((v) => `: ${v}`),
);
const stream = fc.record({
  events: fc.array(fc.array(line, { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
  eol: fc.constantFrom("\n", "\r\n", "\r"),
  tail: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
});

describe("SseSplitter", () => {
  it("finds the events the whole text holds, however it is cut into chunks", () => {
    fc.assert(
      fc.property(stream, ({ events, eol, tail, cuts }) => {
        let text = events.map((lines) => lines.join(eol) + eol + eol).join("");
        if (tail) text += "data: unterminated";
        const bytes = new TextEncoder().encode(text);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const s = new SseSplitter();
        const seen: SseEvent[] = [];
        let from = 0;
        for (const cut of [...at, bytes.length]) {
          seen.push(...s.push(bytes.subarray(from, cut)));
          from = cut;
        }
        seen.push(...s.end());
        expect(seen).toEqual(reference(text));
      }),
      { numRuns: 300 },
    );
  });

  it("says when nothing is held back between chunks", () => {
    const s = new SseSplitter();
    expect(s.push(new TextEncoder().encode('data: {"a":1}\n\ndata: {"b"'))).toEqual([
      { raw: 'data: {"a":1}\n\n', event: undefined, data: '{"a":1}' },
    ]);
    expect(s.empty).toBe(false);
    expect(s.push(new TextEncoder().encode(":2}\n\n"))).toEqual([
      { raw: 'data: {"b":2}\n\n', event: undefined, data: '{"b":2}' },
    ]);
    expect(s.empty).toBe(true);
  });
});
