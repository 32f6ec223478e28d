// Running from TypeScript sources (tests, tsx): the worker registers tsx itself, because a
// worker's own `--import tsx` does not reach its entry module on Node 20. Not shipped.
const { register } = await import("tsx/esm/api");
register();
await import("./sync-worker.ts");
