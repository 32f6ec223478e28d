// The connect timeout on Node gives up the connection it timed out on, and says where and after
// how long; a connection made in time is not cut when the connect timeout would have run out.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { APITimeoutError, AsyncPayi, Timeout } from "../../src/index.js";
import { event } from "../helpers/server.js";

/** A server that accepts TCP and never says a word: a TLS handshake with it never completes. */
async function silentServer() {
  const sockets: net.Socket[] = [];
  const closed: Promise<void>[] = [];
  const server = net.createServer((s) => {
    s.on("error", () => {});
    // Read and dropped, so that the client's hanging up is seen.
    s.resume();
    sockets.push(s);
    closed.push(new Promise((r) => s.once("close", () => r())));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    closed,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe("the connect timeout", () => {
  it("hangs up the connection it gave up on, and its cause names the address and the bound", async () => {
    const silent = await silentServer();
    try {
      const c = new AsyncPayi({
        apiKey: "test-key-connect",
        baseURL: `https://127.0.0.1:${silent.port}`,
        timeout: new Timeout({ timeout: 10_000, connect: 200 }),
        maxRetries: 0,
        logLevel: "off",
      });
      const err = await c.ingest.units(event).catch((e) => e);
      expect(err).toBeInstanceOf(APITimeoutError);
      expect(err.message).toBe(`Connect timed out after 200 ms: no connection to 127.0.0.1:${silent.port}.`);
      expect(err.cause).toMatchObject({
        code: "UND_ERR_CONNECT_TIMEOUT",
        message: `Connect Timeout Error (attempted address: 127.0.0.1:${silent.port}, timeout: 200ms)`,
      });
      expect(silent.sockets).toHaveLength(1);
      // The server sees the client hang up: nothing is left half-open behind the error.
      const outcome = await Promise.race([
        silent.closed[0].then(() => "closed"),
        new Promise((r) => setTimeout(() => r("still open after 5 s"), 5_000).unref()),
      ]);
      expect(outcome).toBe("closed");
    } finally {
      await silent.close();
    }
  });
});
