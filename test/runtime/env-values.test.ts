// Values read from the environment lose surrounding whitespace (a .env file's trailing space, a
// CR of a file saved on Windows); one that is only whitespace counts as not set.
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

const ENV = ["PAYI_API_KEY", "PAYI_BASE_URL", "PAYI_CUSTOM_HEADERS", "PAYI_LOG"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let server: TestServer;
beforeEach(async () => {
  for (const k of ENV) delete process.env[k];
  server = await startServer((_r, res) => json(res, 200, ingestOk));
});
afterEach(async () => {
  await server.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("the environment", () => {
  it("gives its values trimmed", async () => {
    process.env.PAYI_API_KEY = "  env-key-trimmed \r";
    process.env.PAYI_BASE_URL = ` ${server.url}/ \r`;
    process.env.PAYI_LOG = " off ";
    const c = new AsyncPayi({ maxRetries: 0 });
    expect(c.baseURL).toBe(server.url);
    await c.ingest.units(event);
    expect(server.received[0].headers["xproxy-api-key"]).toBe("env-key-trimmed");
  });

  it("counts a value of whitespace only as not set", async () => {
    process.env.PAYI_API_KEY = "env-key";
    process.env.PAYI_BASE_URL = " \t ";
    process.env.PAYI_LOG = "  ";
    process.env.PAYI_CUSTOM_HEADERS = " \n ";
    expect(new AsyncPayi({}).baseURL).toBe("https://api.pay-i.com");
  });
});

describe("where there is no environment (a browser, a worker, a bundler's stand-in for process)", () => {
  it.each([
    ["no process", undefined],
    ["a process without env", {}],
  ])("%s: the options given are all there is", (_what, stand) => {
    process.env.PAYI_BASE_URL = "http://127.0.0.1:9";
    const real = Object.getOwnPropertyDescriptor(globalThis, "process")!;
    let made: AsyncPayi | undefined;
    let error: unknown;
    // Synchronous: nothing else runs while the process is away.
    Object.defineProperty(globalThis, "process", { configurable: true, writable: true, value: stand });
    try {
      made = new AsyncPayi({ apiKey: "k-no-env", dangerouslyAllowBrowser: true });
    } catch (e) {
      error = e;
    } finally {
      Object.defineProperty(globalThis, "process", real);
    }
    expect(error).toBeUndefined();
    expect(made!.baseURL).toBe("https://api.pay-i.com");
  });
});

describe("PAYI_CUSTOM_HEADERS", () => {
  it("sends each header as Name: value, the spaces around each part dropped, lines of blanks skipped", async () => {
    // A raw listener: it sees the header lines as sent, spaces and all.
    let head = "";
    const raw = net.createServer((s) => {
      s.on("error", () => {});
      s.on("data", (d) => {
        head += d;
        if (head.includes("\r\n\r\n"))
          s.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    try {
      process.env.PAYI_CUSTOM_HEADERS = "X-Team:  search \n \t \nX-Job : nightly\t";
      const c = new AsyncPayi({
        apiKey: "k-env",
        baseURL: `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`,
        maxRetries: 0,
        logLevel: "off",
      });
      await c.withRawResponse.ingest.units(event);
      const lines = head.split("\r\n").filter((l) => /^x-(team|job):/i.test(l));
      expect(lines.sort()).toEqual(["x-job: nightly", "x-team: search"]);
    } finally {
      raw.close();
    }
  });
});
