// logLevel "debug" (PAYI_LOG=debug): one line per attempt with method, path, status, duration,
// attempt and request id; never the key. A connection error names the host and port it tried.
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIConnectionError, AsyncPayi, type Logger } from "../../src/index.js";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

const KEY = "sk-debug-log-secret-0123456789";
let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

function capture(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const push = (m: string, ...rest: unknown[]) => lines.push([m, ...rest.map(String)].join(" "));
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

describe("debug logs", () => {
  it("log each attempt: method, path, status, duration, attempt and request id, not the key", async () => {
    server.handle((_r, res, n) =>
      n === 1
        ? json(res, 503, { message: "busy" }, { "retry-after-ms": "1" })
        : json(res, 200, ingestOk, { "x-request-id": "req_dbg_2" }),
    );
    const { lines, logger } = capture();
    const client = new AsyncPayi({ apiKey: KEY, baseURL: server.url, logLevel: "debug", logger, maxRetries: 2 });
    await client.ingest.units(event);
    // The call first, by method, path and method of the client.
    expect(lines[0]).toBe("POST /api/v1/ingest (client.ingest.units)");
    const attempts = lines.filter((l) => / answered \d{3} /.test(l));
    expect(attempts).toEqual([
      expect.stringMatching(/^POST \/api\/v1\/ingest answered 503 \(in \d+ ms, attempt 1 of 3\)$/),
      expect.stringMatching(
        /^POST \/api\/v1\/ingest answered 200 \(in \d+ ms, attempt 2 of 3, request id req_dbg_2\)$/,
      ),
    ]);
    expect(lines.join("\n")).not.toContain(KEY);
    expect(lines.join("\n")).not.toContain(KEY.slice(0, 12));
  });

  it("give a duration that is the attempt's, and the request id from xproxy-request-id too", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk, { "xproxy-request-id": "req_proxy_7" }));
    const { lines, logger } = capture();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logLevel: "debug", logger }).ingest.units(event);
    const [line] = lines.filter((l) => l.includes(" answered "));
    expect(line).toMatch(/^POST \/api\/v1\/ingest answered 200 \(in \d+ ms, attempt 1 of 3, request id req_proxy_7\)$/);
    // Well under the minute a loaded machine could ever take for a local answer.
    expect(Number(/in (\d+) ms/.exec(line)![1])).toBeLessThan(60_000);
  });

  it("at info, say what is retried and why: the status, or the error", async () => {
    server.handle((_r, res, n) =>
      n === 1
        ? json(res, 503, { message: "busy" }, { "retry-after-ms": "1" })
        : n === 2
          ? void res.socket!.destroy()
          : json(res, 200, ingestOk),
    );
    const { lines, logger } = capture();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logLevel: "info", logger }).ingest.units(event);
    expect(lines).toEqual([
      "POST /api/v1/ingest answered 503; retrying",
      expect.stringMatching(
        /^POST \/api\/v1\/ingest failed \(Connection error: .+ \(127\.0\.0\.1:\d+\)\.\); retrying$/,
      ),
    ]);
  });

  it("are off below debug", async () => {
    server.handle((_r, res) => json(res, 200, ingestOk));
    const { lines, logger } = capture();
    await new AsyncPayi({ apiKey: KEY, baseURL: server.url, logLevel: "info", logger }).ingest.units(event);
    expect(lines.filter((l) => l.includes("answered"))).toEqual([]);
  });
});

describe("connection errors", () => {
  it("name the host and port, in the error and in the debug log", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const { lines, logger } = capture();
    const client = new AsyncPayi({
      apiKey: KEY,
      baseURL: `http://127.0.0.1:${port}`,
      logLevel: "debug",
      logger,
      maxRetries: 0,
    });
    const err = await client.ingest.units(event).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect(
      lines.some((l) =>
        new RegExp(`^POST /api/v1/ingest failed \\(in \\d+ ms, attempt 1 of 1\\): .*127\\.0\\.0\\.1:${port}`).test(l),
      ),
    ).toBe(true);
    expect(lines.join("\n")).not.toContain(KEY);
  });
});
