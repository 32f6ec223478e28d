// What Payi is measured against in `npm run bench`: a bare synckit worker, with no Payi
// code around it, that either answers at once (the hand-off alone) or makes the same
// AsyncPayi call (the hand-off plus the call, as Payi does it).
import { runAsWorker } from "synckit";
import { AsyncPayi } from "../dist/index.js";

let client;
runAsWorker(async (kind, options, params) => {
  if (kind === "echo") return params;
  client ??= new AsyncPayi(options);
  return client.ingest.units(params);
});
