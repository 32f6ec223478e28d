/**
 * npm run mock [-- --port N] [-- --spec path]: the API's mock on 127.0.0.1 (default port 4010,
 * or PAYI_MOCK_PORT), for our tests and for contract-testing your own service.
 */
import { parseArgs } from "node:util";
import { startMock } from "./prism.js";

const { values } = parseArgs({ options: { port: { type: "string" }, spec: { type: "string" }, quiet: { type: "boolean" } } });
const port = Number(values.port ?? process.env.PAYI_MOCK_PORT ?? 4010);
const mock = await startMock({ port, spec: values.spec, log: values.quiet ? undefined : (line) => process.stderr.write(line) });
console.log(`Pay-i mock listening on ${mock.url} (Ctrl-C to stop)`);
const stop = () => mock.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
