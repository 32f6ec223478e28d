/** Prism serving the spec, for the test-suite's global setup and the demo: the code `payi mock` runs. */
export { freePort, startMock, SPEC_PATH, type MockServer } from "../src/cli/prism.js";
