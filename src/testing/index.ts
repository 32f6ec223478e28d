// `payi/testing`: an in-process fake of the Pay-i API for your unit tests (Node).
export { createMockPayi, type MockPayi, type MockRequest, type MockFailure } from "./mock.js";
export type { Violation } from "../runtime/errors.js";
