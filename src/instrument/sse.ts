/**
 * Server-sent events, cut from a byte stream as it arrives: each complete event with its raw
 * text (so it can be passed on unchanged or left out), its `event:` name and its `data:`.
 *
 * It runs on every chunk of a stream the caller is reading, so it is kept cheap: events are
 * found with `indexOf` (the `\r` forms only searched for when the text holds a `\r`), and an
 * event that is a single `data:` line, as most are, is read without splitting it into lines.
 */
export interface SseEvent {
  raw: string;
  event: string | undefined;
  data: string;
}

/**
 * One decoder for every stream, used whole-chunk: a streaming TextDecoder (one per stream)
 * costs several times more on Node, so the bytes of a character a chunk cuts are carried to
 * the next chunk by hand.
 */
const utf8 = new TextDecoder();

/** How many bytes at the end of `b` start a character that is not complete. */
function cutCharacter(b: Uint8Array): number {
  for (let i = 1; i <= 3 && i <= b.length; i++) {
    const byte = b[b.length - i];
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return size > i ? i : 0;
  }
  return 0;
}

export class SseSplitter {
  #buffer = "";
  /** The first bytes of a character the last chunk cut. */
  #carry: Uint8Array | undefined;

  /** Nothing held back: the last chunk ended at an event's end. */
  get empty(): boolean {
    return this.#buffer === "" && !this.#carry;
  }

  /** The events completed by this chunk. */
  push(chunk: Uint8Array): SseEvent[] {
    let bytes = chunk;
    if (this.#carry) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
    }
    const cut = cutCharacter(bytes);
    this.#carry = cut ? bytes.slice(bytes.length - cut) : undefined;
    const text = this.#buffer + utf8.decode(cut ? bytes.subarray(0, bytes.length - cut) : bytes);
    const out: SseEvent[] = [];
    const cr = text.includes("\r");
    let at = 0;
    for (;;) {
      const [index, length] = boundary(text, at, cr);
      if (index < 0) break;
      const end = index + length;
      out.push(parse(text.slice(at, end), text.slice(at, index)));
      at = end;
    }
    this.#buffer = at ? text.slice(at) : text;
    return out;
  }

  /** What is left when the stream ends: an event without its closing blank line, if any. */
  end(): SseEvent[] {
    const rest = this.#buffer + (this.#carry ? utf8.decode(this.#carry) : "");
    this.#buffer = "";
    this.#carry = undefined;
    return rest.trim() ? [parse(rest, rest)] : [];
  }
}

/** The first blank line (an event's end) from `at`: its index and length, or [-1, 0]. */
function boundary(text: string, at: number, cr: boolean): [number, number] {
  let best = text.indexOf("\n\n", at);
  let length = 2;
  if (!cr) return [best, length];
  for (const [sep, n] of [
    ["\r\n\r\n", 4],
    ["\r\r", 2],
  ] as const) {
    const i = text.indexOf(sep, at);
    if (i >= 0 && (best < 0 || i < best)) {
      best = i;
      length = n;
    }
  }
  return [best, length];
}

function parse(raw: string, body: string): SseEvent {
  // One `data:` line (the usual event): no line splitting needed.
  if (body.startsWith("data:") && !/[\r\n]/.test(body))
    return { raw, event: undefined, data: body.slice(body[5] === " " ? 6 : 5) };
  let event: string | undefined;
  const data: string[] = [];
  for (const line of body.split(/\r\n|\n|\r/)) {
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    else if (line.startsWith("event:")) event = line.slice(line[6] === " " ? 7 : 6);
  }
  return { raw, event, data: data.join("\n") };
}
