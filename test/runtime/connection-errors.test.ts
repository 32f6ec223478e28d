// No answer: what the error says (the reason, the host and port tried) and what it keeps (the
// cause), with the default transport and with a fetch of one's own.
import { createServer } from "node:net";
import { errors as undiciErrors } from "undici";
import { describe, expect, it } from "vitest";
import { APIConnectionError, APITimeoutError, AsyncPayi, type ClientOptions } from "../../src/index.js";
import { event } from "../helpers/server.js";

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

const fail = (o: ClientOptions): Promise<APIConnectionError> =>
  new AsyncPayi({ apiKey: "test-key-conn", maxRetries: 0, logLevel: "off", ...o }).ingest.units(event).then(
    () => {
      throw new Error("the call succeeded");
    },
    (e: APIConnectionError) => e,
  );

describe("connection errors", () => {
  it("name the reason and the host and port, with the default transport and with the platform's fetch", async () => {
    const port = await closedPort();
    const baseURL = `http://127.0.0.1:${port}`;
    for (const err of [await fail({ baseURL }), await fail({ baseURL, fetch: globalThis.fetch })]) {
      expect(err).toBeInstanceOf(APIConnectionError);
      expect(err).not.toBeInstanceOf(APITimeoutError);
      expect(err.message).toBe(`Connection error: ECONNREFUSED (127.0.0.1:${port}).`);
      expect(err.cause).toBeInstanceOf(Error);
    }
  });

  it("from a fetch of one's own keep its error as the cause and say its message", async () => {
    const offline = new Error("the network is down");
    const err = await fail({ baseURL: "https://api.pay-i.com", fetch: () => Promise.reject(offline) });
    expect(err).toBeInstanceOf(APIConnectionError);
    // The scheme's default port, spelled out.
    expect(err.message).toBe("Connection error: the network is down (api.pay-i.com:443).");
    expect(err.cause).toBe(offline);

    const wrapped = new TypeError("fetch failed", { cause: new Error("proxy refused the tunnel") });
    const err2 = await fail({ baseURL: "http://localhost", fetch: () => Promise.reject(wrapped) });
    expect(err2.message).toBe("Connection error: proxy refused the tunnel (localhost:80).");

    const nothing = await fail({ baseURL: "http://localhost:8080", fetch: () => Promise.reject(undefined) });
    expect(nothing).toBeInstanceOf(APIConnectionError);
    expect(nothing.message).toBe("Connection error (localhost:8080).");

    const err3 = await fail({ baseURL: "http://localhost:8080", fetch: () => Promise.reject("no") });
    expect(err3).toBeInstanceOf(APIConnectionError);
    expect(err3.message).toBe("Connection error (localhost:8080).");
    expect(err3.cause).toBe("no");
  });

  it("a fetch of one's own that times out connecting is an APITimeoutError, naming no time the SDK did not set", async () => {
    // undici's fetch over an Agent with a connect timeout fails this way.
    const timedOut = new TypeError("fetch failed", { cause: new undiciErrors.ConnectTimeoutError() });
    const err = await fail({ baseURL: "http://localhost:8080", fetch: () => Promise.reject(timedOut) });
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(err.message).toBe("Connect timed out: no connection to localhost:8080.");
    expect(err.cause).toBe(timedOut);
  });
});
