// The sync client's worker under Stryker: runs the worker as usual and hands the mutant coverage
// its thread gathers to the test thread (mutant-in-children.ts), which gives it to Stryker. Without
// it, code that runs only in the worker (sync-worker.ts) would count as covered by no test.
import { BroadcastChannel, MessagePort } from "node:worker_threads";

const channel = new BroadcastChannel("payi:stryker-coverage");
channel.unref();
/** Sends the coverage gathered since the last send and clears it (the instrumented code keeps its object). */
function send(loading) {
  const cov = globalThis.__stryker__?.mutantCoverage;
  if (!cov) return;
  const hits = { ...cov.static };
  for (const perTest of Object.values(cov.perTest))
    for (const [id, n] of Object.entries(perTest)) hits[id] = (hits[id] ?? 0) + n;
  for (const key of Object.keys(cov.static)) delete cov.static[key];
  for (const key of Object.keys(cov.perTest)) delete cov.perTest[key];
  if (Object.keys(hits).length) channel.postMessage({ loading, hits });
}
// The worker answers a call by posting on its port: the call's coverage goes first.
const post = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (...args) {
  send(false);
  return post.apply(this, args);
};
await import("../../src/runtime/sync-worker-tsx.mjs");
// What ran while the worker loaded runs again for every worker: as Stryker's static coverage.
send(true);
