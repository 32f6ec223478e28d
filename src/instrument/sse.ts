/**
 * Server-sent events, cut from a byte stream as it arrives: each complete event with its raw
 * text (so it can be passed on unchanged or left out), its `event:` name and its `data:`.
 */
export interface SseEvent {
  raw: string;
  event: string | undefined;
  data: string;
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/;

export class SseSplitter {
  readonly #decoder = new TextDecoder();
  #buffer = "";

  /** Nothing held back: the last chunk ended at an event's end. */
  get empty(): boolean {
    return this.#buffer === "";
  }

  /** The events completed by this chunk. */
  push(chunk: Uint8Array): SseEvent[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    const out: SseEvent[] = [];
    for (let m = BOUNDARY.exec(this.#buffer); m; m = BOUNDARY.exec(this.#buffer)) {
      const end = m.index + m[0].length;
      out.push(parse(this.#buffer.slice(0, end), this.#buffer.slice(0, m.index)));
      this.#buffer = this.#buffer.slice(end);
    }
    return out;
  }

  /** What is left when the stream ends: an event without its closing blank line, if any. */
  end(): SseEvent[] {
    this.#buffer += this.#decoder.decode();
    const rest = this.#buffer;
    this.#buffer = "";
    return rest.trim() ? [parse(rest, rest)] : [];
  }
}

function parse(raw: string, body: string): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of body.split(/\r\n|\n|\r/)) {
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    else if (line.startsWith("event:")) event = line.slice(line[6] === " " ? 7 : 6);
  }
  return { raw, event, data: data.join("\n") };
}
