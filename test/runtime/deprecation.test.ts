// A deprecated operation warns once per process, not once per call. The operation is taken
// from the operation table, so the test follows the spec as operations are deprecated or not.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncPayi, type Logger } from "../../src/index.js";
import { operations } from "../../src/generated/operations.js";
import { json, startServer, type TestServer } from "../helpers/server.js";

const KEY = "test-key-deprecation";
let server: TestServer;
// A fresh server per test: a new port, so a request an earlier test left in flight is never counted by a later one.
beforeEach(async () => {
  server = await startServer((_r, res) => json(res, 200, {}));
});
afterEach(() => server.close());

const deprecated = Object.entries(operations).filter(([, op]) => op.deprecated);
// Preferably one that takes only path parameters, so params valid for it are simple to make.
const [id, spec] =
  deprecated.find(([, op]) => !op.bodyFields && !op.arrayBody && !op.paginated) ??
  deprecated.find(([, op]) => !op.paginated) ??
  deprecated[0] ??
  [];
const params = Object.fromEntries((spec?.pathParams ?? []).map((p) => [p, `${p}_1`]));
const method = (c: AsyncPayi) =>
  id!.split(".").reduce((node: any, part) => node[part], c) as (p: unknown) => Promise<unknown>;

const warnings = () => {
  const lines: string[] = [];
  const none = () => {};
  return {
    lines,
    logger: { debug: none, info: none, warn: (m: string) => void lines.push(m), error: none } satisfies Logger,
  };
};

describe("deprecated operations", () => {
  it("the operation table marks at least one", () => {
    expect(deprecated.length).toBeGreaterThan(0);
  });

  it.runIf(id)("warn once per process, not once per call or per client, and still send each call", async () => {
    const first = warnings();
    const c = new AsyncPayi({
      apiKey: KEY,
      baseURL: server.url,
      maxRetries: 0,
      logLevel: "warn",
      logger: first.logger,
    });
    server.handle((_r, res) => json(res, 200, {}));
    for (let i = 0; i < 3; i++) await method(c)(params);
    const second = warnings();
    await method(
      new AsyncPayi({ apiKey: KEY, baseURL: server.url, maxRetries: 0, logLevel: "warn", logger: second.logger }),
    )(params);

    expect(server.received).toHaveLength(4);
    expect(server.received.every((r) => r.method === spec!.method)).toBe(true);
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]).toContain(`client.${id}`);
    expect(first.lines[0]).toMatch(/deprecated/i);
    expect(first.lines[0]).not.toContain(KEY);
    expect(second.lines).toEqual([]);
  });
});
