/**
 * `createMockPayi()`: an in-process fake of the Pay-i API for unit tests. It answers from the
 * document's examples, checks each request with the SDK's own schemas (a bad one gets a 422
 * with `sl-violations`, as Prism answers), records what it received, and fails on demand.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { IngestUnitsParams, OperationId } from "../generated/api.js";
import { checkFailure, createCore, type MockFailure, type MockRequest } from "./core.js";
import type { Control, ServerWorkerData } from "./server-worker.js";

export type { MockFailure, MockRequest };

export interface MockPayi {
  /** A fetch to give `AsyncPayi` (`new AsyncPayi({ fetch: mock.fetch, apiKey: "test" })`): no network, no port. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * Serves the same answers on 127.0.0.1 (port 0: a free one), from a thread of its own, for
   * `Payi` (whose worker cannot use `fetch`) or another process: give it `baseURL: url`.
   */
  listen(port?: number): Promise<{ url: string; port: number }>;
  /** Stops listening and lets go of hanging requests. */
  close(): Promise<void>;
  /** Every request received (through `fetch` and the port), in order of arrival on each. */
  readonly requests: readonly MockRequest[];
  /** Every event ingested (by `ingest.units`, `ingest.bulk`, the queue, backfill), as `ingest.units` params: its header params folded in. */
  readonly events: readonly IngestUnitsParams[];
  /** The next calls of an operation (by its SDK name, such as "ingest.bulk") fail this way. */
  fail(operation: OperationId, failure: MockFailure): void;
  /** Forgets the requests, events and failures. */
  reset(): void;
}

function workerPath(): string {
  // Built, the server is testing-server.js beside this file; from sources, a shim that runs the .ts with tsx.
  const js = fileURLToPath(new URL("./testing-server.js", import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL("./server-worker-tsx.mjs", import.meta.url));
}

export function createMockPayi(): MockPayi {
  const core = createCore();
  const requests: MockRequest[] = [];
  const events: IngestUnitsParams[] = [];
  const hanging = new Set<() => void>();
  let server: { worker: Worker; records: MessagePort; ack: Int32Array; url: string; port: number } | undefined;

  /** Takes in what the server thread recorded, synchronously: a `Payi` call has returned by now. */
  const drain = () => {
    if (!server) return;
    for (let m = receiveMessageOnPort(server.records); m; m = receiveMessageOnPort(server.records)) {
      const { request, events: ingested } = m.message as {
        request: MockRequest & { headers: [string, string][] };
        events: IngestUnitsParams[];
      };
      requests.push({ ...request, headers: new Headers(request.headers) });
      events.push(...ingested);
    }
  };

  const control = (message: Control) => {
    if (!server) return;
    Atomics.store(server.ack, 0, 0);
    server.worker.postMessage(message);
    Atomics.wait(server.ack, 0, 0, 5000);
  };

  const fetchImpl: MockPayi["fetch"] = async (input, init) => {
    const req = new Request(input, init);
    const text = req.body ? await req.text() : "";
    const signal = init?.signal ?? req.signal;
    signal?.throwIfAborted();
    const {
      answer,
      request,
      events: ingested,
    } = core.answer(req.method, new URL(req.url), new Headers(req.headers), text);
    requests.push(request);
    events.push(...ingested);
    if ("hang" in answer) {
      return new Promise<Response>((_, reject) => {
        const release = () => reject(new TypeError("fetch failed", { cause: new Error("the mock was closed") }));
        hanging.add(release);
        signal?.addEventListener("abort", () => {
          hanging.delete(release);
          reject(signal.reason);
        });
      });
    }
    if ("reset" in answer)
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      });
    const body = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(body, {
      status: answer.status,
      headers: { ...(body === null ? {} : { "content-type": "application/json" }), ...answer.headers },
    });
  };

  return {
    fetch: fetchImpl,
    get requests() {
      drain();
      return requests;
    },
    get events() {
      drain();
      return events;
    },
    async listen(port = 0) {
      if (server) return { url: server.url, port: server.port };
      const { port1, port2 } = new MessageChannel();
      const ack = new Int32Array(new SharedArrayBuffer(4));
      const data: ServerWorkerData = { port, records: port2, ack };
      const worker = new Worker(workerPath(), { workerData: data, transferList: [port2] });
      const bound = await new Promise<number>((resolve, reject) => {
        worker.once("message", (m: { port?: number; error?: string }) =>
          m.port ? resolve(m.port) : reject(new Error(`mock.listen: ${m.error}`)),
        );
        worker.once("error", reject);
      }).catch(async (err) => {
        await worker.terminate();
        throw err;
      });
      // A test that forgets close() still ends.
      worker.unref();
      const url = `http://127.0.0.1:${bound}`;
      server = { worker, records: port1, ack, port: bound, url };
      return { url, port: bound };
    },
    async close() {
      for (const release of hanging) release();
      hanging.clear();
      if (!server) return;
      drain();
      const { worker, records } = server;
      server = undefined;
      records.close();
      await worker.terminate();
    },
    fail(operation, failure) {
      checkFailure(operation, failure);
      core.fail(operation, failure);
      control({ type: "fail", operation, failure });
    },
    reset() {
      drain();
      requests.length = 0;
      events.length = 0;
      core.reset();
      control({ type: "reset" });
    },
  };
}
