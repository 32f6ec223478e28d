// Setup of the "unit" project, which runs its files one after another in the same worker
// (isolate: false) to spare each file a new process and a new load of node_modules. Before
// each file, the SDK's and the tests' own modules are forgotten, so each file gets them
// afresh (a warning given once per process is given again, caches start empty). What
// stays is what Node loads itself: node_modules, process.env, globalThis, process listeners;
// a unit test that changes one of those puts it back.
import { vi } from "vitest";

vi.resetModules();
