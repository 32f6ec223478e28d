// The key is scrubbed from what a service echoes back, whatever its length from four
// characters; headers are scrubbed by name only when the name is a credential's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncPayi, type APIError } from "../../src/index.js";
import { event, json, startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** The error of a call with this key, answered 401 with the key echoed in the message and a header. */
async function echoed(key: string): Promise<APIError<number, Headers>> {
  server.handle((r, res) =>
    json(
      res,
      401,
      { message: `bad key ${r.headers["xproxy-api-key"]}!` },
      { "x-echo": `${r.headers["xproxy-api-key"]}` },
    ),
  );
  return failure(new AsyncPayi({ apiKey: key, baseURL: server.url, maxRetries: 0, logLevel: "off" }));
}

function failure(client: AsyncPayi): Promise<APIError<number, Headers>> {
  return client.ingest.units(event).then(
    () => {
      throw new Error("the call succeeded");
    },
    (e: APIError<number, Headers>) => e,
  );
}

describe("redaction", () => {
  it("scrubs a key of four characters", async () => {
    const err = await echoed("k3y9");
    expect(err.message).toBe("401 bad key ***!");
    expect(err.body).toEqual({ message: "bad key ***!" });
    expect(err.headers.get("x-echo")).toBe("***");
  });

  it("leaves text alone for a key shorter than that, which would garble every message", async () => {
    const err = await echoed("bad");
    expect(err.message).toBe("401 bad key bad!");
    expect(err.body).toEqual({ message: "bad key bad!" });
  });

  it("replaces credential headers whole, and keeps others whose names merely contain one", async () => {
    server.handle((_r, res) =>
      json(
        res,
        403,
        { message: "no" },
        {
          "set-cookie": "session=abc",
          "x-cookie-policy": "strict",
          "www-authenticate": "Bearer",
          "x-authorization-hint": "use a key",
        },
      ),
    );
    const err = await failure(
      new AsyncPayi({ apiKey: "k-redaction", baseURL: server.url, maxRetries: 0, logLevel: "off" }),
    );
    expect(Object.fromEntries(err.headers)).toMatchObject({
      "set-cookie": "***",
      "x-cookie-policy": "strict",
      "www-authenticate": "Bearer",
      "x-authorization-hint": "use a key",
    });
  });
});
