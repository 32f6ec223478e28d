// What reaches a logger at each level, the key scrubbed from every string it is given, and how
// PAYI_LOG is read (any case; empty is unset; an unknown level is refused, naming the allowed ones).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, type Logger } from "../../src/index.js";
import { makeLogger } from "../../src/runtime/logger.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

const KEY = "sk-log-levels-0123456789";
const saved = process.env.PAYI_LOG;
afterEach(() => {
  if (saved === undefined) delete process.env.PAYI_LOG;
  else process.env.PAYI_LOG = saved;
});

function sink(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (m: string, ...rest: unknown[]) =>
      void lines.push([level, m, ...rest.map((r) => (typeof r === "string" ? r : JSON.stringify(r)))].join(" "));
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}
const all = (log: Logger) => {
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
};

describe("a client's logger", () => {
  it.each([
    ["debug", ["debug d", "info i", "warn w", "error e"]],
    ["info", ["info i", "warn w", "error e"]],
    ["warn", ["warn w", "error e"]],
    ["error", ["error e"]],
    ["off", []],
  ] as const)("at %s writes that level and those above it", (level, expected) => {
    const { lines, logger } = sink();
    all(makeLogger(level, logger, KEY));
    expect(lines).toEqual(expected);
  });

  it("scrubs the key from the message and from every string after it; other values pass as they are", () => {
    const { lines, logger } = sink();
    makeLogger("debug", logger, KEY).warn(`sent ${KEY}`, `again ${KEY}!`, { n: 1 }, 7);
    expect(lines).toEqual(['warn sent *** again ***! {"n":1} 7']);
  });
});

describe("PAYI_LOG", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_r, res) => json(res, 200, ingestOk));
  });
  afterAll(() => server.close());
  const linesOf = async (options: { logLevel?: "error" } = {}) => {
    const { lines, logger } = sink();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logger, ...options }).ingest.units(event);
    return lines;
  };

  it("is read in any case", async () => {
    process.env.PAYI_LOG = "DEBUG";
    expect(await linesOf()).toContain("debug POST /api/v1/ingest (client.ingest.units)");
  });

  it("empty is the same as unset: no error, the default level (warn)", async () => {
    process.env.PAYI_LOG = "";
    expect(await linesOf()).toEqual([]);
  });

  it("unknown is refused, naming the variable, the levels it takes and the value; not read when a level is given", async () => {
    process.env.PAYI_LOG = "Chatty";
    await expect(linesOf()).rejects.toThrow(
      new RangeError('PAYI_LOG must be one of debug, info, warn, error, off; got "Chatty"'),
    );
    expect(await linesOf({ logLevel: "error" })).toEqual([]);
  });
});
