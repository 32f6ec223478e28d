/**
 * `payi mock [--port N] [--host H]`: the API's mock (Prism serving the shipped document) for
 * contract-testing your own code. Prints the URL once the mock answers, runs until Ctrl-C or
 * SIGTERM, then stops Prism. `npm run mock` in the repository runs this same code.
 */
import { parseArgs } from "node:util";
import { PrismNotInstalledError, prismEngineMismatch, startMock } from "./prism.js";

export const MOCK_USAGE = `Usage: payi mock [--port N] [--host H] [--spec FILE] [--quiet]

Serves the Pay-i API's mock (Prism, answering the document's examples and refusing with 422
any request the document does not allow) until Ctrl-C.

Options:
  --port N      port to listen on (default 4010, or PAYI_MOCK_PORT)
  --host H      interface to listen on (default 127.0.0.1)
  --spec FILE   serve this OpenAPI document instead of the one in the package
  --quiet       do not print Prism's log of each request
`;

/** Runs the command; resolves with the exit status once the mock has stopped. */
export async function mockCommand(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        spec: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    err.write(`payi mock: ${(e as Error).message}\n\n${MOCK_USAGE}`);
    return 2;
  }
  if (values.help) {
    out.write(MOCK_USAGE);
    return 0;
  }
  const portText = values.port ?? process.env.PAYI_MOCK_PORT ?? "4010";
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    err.write(`payi mock: --port takes a port number (1 to 65535), got ${JSON.stringify(portText)}\n\n${MOCK_USAGE}`);
    return 2;
  }
  try {
    const mismatch = prismEngineMismatch();
    if (mismatch) err.write(`payi mock: ${mismatch}\n`);
  } catch {
    // Not installed: startMock says what to install.
  }
  const started = startMock({
    port: Number(portText),
    host: values.host,
    spec: values.spec,
    log: values.quiet ? undefined : (text) => err.write(text),
  });
  // A signal while Prism starts stops it too.
  let stopping = false;
  const signalled = new Promise<void>((resolve) => {
    const on = () => {
      stopping = true;
      resolve();
    };
    process.once("SIGINT", on);
    process.once("SIGTERM", on);
  });
  let mock;
  try {
    mock = await started;
  } catch (e) {
    if (stopping) return 0;
    err.write(`payi mock: ${e instanceof PrismNotInstalledError ? e.message : (e as Error).message}\n`);
    return 1;
  }
  out.write(
    `Pay-i mock listening on ${mock.url} (Ctrl-C to stop)\nPoint a client at it: new AsyncPayi({ baseURL: "${mock.url}", apiKey: "any" })\n`,
  );
  await signalled;
  await mock.stop();
  out.write("Pay-i mock stopped.\n");
  return 0;
}
