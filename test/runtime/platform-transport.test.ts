// Which transport sends the calls: on Node, undici's request API over one pool per connect
// timeout, shared by every client; on Bun and Deno (which look like Node in part), or where
// undici cannot load (an ESM bundle), the platform's fetch.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { event, ingestOk, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const ports: number[] = [];
beforeEach(async () => {
  ports.length = 0;
  server = await startServer((_r, res) => {
    ports.push(res.socket!.remotePort!);
    json(res, 200, ingestOk);
  });
});
afterEach(() => server.close());

/** The SDK as loaded where `pretend` makes the process look like another runtime; `pretend` returns its undo. */
async function sdkLoadedAs(pretend: () => () => void): Promise<typeof import("../../src/index.js")> {
  const undo = pretend();
  try {
    vi.resetModules();
    return await import("../../src/index.js");
  } finally {
    undo();
  }
}
const asNode = () => () => {};
const asDeno = () => {
  (globalThis as { Deno?: unknown }).Deno = { version: { deno: "2.0.0" } };
  return () => delete (globalThis as { Deno?: unknown }).Deno;
};
const asBun = () => {
  (process.versions as Record<string, string>).bun = "1.2.0";
  return () => delete (process.versions as Record<string, string | undefined>).bun;
};
/** A process object without Node's version, as some bundlers' stand-ins for it have. */
const asProcessShim = () => {
  const node = Object.getOwnPropertyDescriptor(process.versions, "node")!;
  Object.defineProperty(process.versions, "node", { ...node, value: undefined });
  return () => Object.defineProperty(process.versions, "node", node);
};

/** A process stand-in with no versions at all. */
const asNoVersions = () => {
  const versions = Object.getOwnPropertyDescriptor(process, "versions")!;
  Object.defineProperty(process, "versions", { ...versions, value: undefined });
  return () => Object.defineProperty(process, "versions", versions);
};

/** The user-agent a call arrives with, from a client of the SDK as loaded. */
async function userAgentOf(sdk: typeof import("../../src/index.js")): Promise<string | undefined> {
  await new sdk.AsyncPayi({ apiKey: "test-key-platform", baseURL: server.url, logLevel: "off" }).ingest.units(event);
  return server.received.at(-1)!.headers["user-agent"];
}

describe("the default transport", () => {
  it("on Node is the SDK's own, naming itself", async () => {
    expect(await userAgentOf(await sdkLoadedAs(asNode))).toMatch(/^payi-typescript\/source node\/v/);
  });

  it.each([
    ["Deno", asDeno],
    ["Bun", asBun],
    ["a process stand-in without Node's version", asProcessShim],
    ["a process stand-in without versions", asNoVersions],
  ])("on %s is the platform's fetch", async (_where, pretend) => {
    // Node's fetch names itself "node"; the runtime's own would name that runtime.
    expect(await userAgentOf(await sdkLoadedAs(pretend))).toBe("node");
  });

  it("where undici cannot load (bundled as ESM) is Node's fetch", async () => {
    vi.doMock("undici", () => {
      throw new ReferenceError("require is not defined in ES module scope");
    });
    try {
      expect(await userAgentOf(await sdkLoadedAs(asNode))).toBe("node");
    } finally {
      vi.doUnmock("undici");
      vi.resetModules();
    }
  });

  it("pools connections: one pool per connect timeout, shared by every client", async () => {
    const { AsyncPayi, Timeout } = await sdkLoadedAs(asNode);
    const client = (connect: number) =>
      new AsyncPayi({
        apiKey: "test-key-platform",
        baseURL: server.url,
        timeout: new Timeout({ timeout: 10_000, connect }),
        logLevel: "off",
      });
    // One after the other, each once the last one's connection is back in its pool.
    for (const c of [client(4_000), client(4_000), client(4_000)]) {
      await c.ingest.units(event);
      await new Promise((r) => setImmediate(r));
    }
    expect(new Set(ports).size).toBe(1);
    await client(3_000).ingest.units(event);
    expect(new Set(ports).size).toBe(2);
  });
});
