// Running from TypeScript sources (tests, tsx): the worker registers tsx itself, as the sync
// client's does. Not shipped.
const { register } = await import("tsx/esm/api");
register();
await import("./server-worker.ts");
