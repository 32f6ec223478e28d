// The spec drives the SDK and its tests: an operation added to a scratch copy of the repository's
// spec reaches both clients, typed, and the spec and contract tests (fixtures from its examples)
// pass, after `npm run generate` and no other edit.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ID = "widgets.labels.create";
let scratch: string;

/** Runs a package's bin from the repository's node_modules in the scratch copy; resolves with its exit code and output. */
const run = (bin: string, args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, "node_modules", bin), ...args], {
    cwd: scratch,
    timeout: 240_000,
    maxBuffer: 64 << 20,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
const tsx = (script: string, ...args: string[]) => run("tsx/dist/cli.mjs", [script, ...args]);

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "payi-new-operation-"));
  for (const entry of [
    "openapi",
    "scripts",
    "src",
    "test",
    "bench",
    "package.json",
    "tsconfig.json",
    "vitest.config.ts",
  ]) {
    cpSync(join(root, entry), join(scratch, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"), "dir");

  const specPath = join(scratch, "openapi/payi.openapi.yaml");
  const doc = parse(readFileSync(specPath, "utf8"));
  doc.tags.push({ name: "widgets", description: "Widgets and their labels." });
  doc.paths["/api/v1/widgets/{widget_id}/labels"] = {
    post: {
      operationId: ID,
      tags: ["widgets"],
      summary: "Label a widget",
      description: "Adds a label to a widget, or changes the weight of one it has.",
      parameters: [
        {
          name: "widget_id",
          in: "path",
          required: true,
          example: "wid_01",
          description: "The widget.",
          schema: { type: "string" },
        },
        {
          name: "dryRun",
          in: "query",
          "x-payi-name": "dry_run",
          example: true,
          description: "Check without saving.",
          schema: { type: "boolean" },
        },
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { $ref: "#/components/schemas/WidgetLabelRequest" },
            examples: { default: { value: { label: "blue", weight: 2 } } },
          },
        },
      },
      responses: {
        "200": {
          description: "OK",
          content: {
            "application/json": {
              schema: { $ref: "#/components/schemas/WidgetLabel" },
              examples: { default: { value: { widget_id: "wid_01", label: "blue", weight: 2, request_id: "req_w1" } } },
            },
          },
        },
        ...Object.fromEntries(
          ["400", "401", "403", "404", "409", "422", "429", "500"].map((code) => [
            code,
            doc.paths["/api/v1/ingest"].post.responses[code],
          ]),
        ),
      },
    },
  };
  doc.components.schemas.WidgetLabelRequest = {
    type: "object",
    description: "A label for a widget.",
    required: ["label"],
    properties: { label: { type: "string" }, weight: { type: "integer", format: "int32" } },
  };
  doc.components.schemas.WidgetLabel = {
    type: "object",
    description: "A widget's label.",
    required: ["widget_id", "label", "request_id"],
    properties: {
      widget_id: { type: "string" },
      label: { type: "string" },
      weight: { type: "integer", format: "int32" },
      request_id: { type: "string" },
    },
  };
  writeFileSync(specPath, stringify(doc, { lineWidth: 0 }));
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("an operation added to the spec", () => {
  it("is generated, lints, type-checks on both clients and passes the spec and contract tests", {
    timeout: 600_000,
  }, async () => {
    const generated = await tsx("scripts/generate.ts");
    expect(generated.code, generated.out).toBe(0);
    const checked = await tsx("scripts/generate.ts", "--check");
    expect(checked.code, checked.out).toBe(0);
    const linted = await run("@redocly/cli/bin/cli.js", [
      "lint",
      "openapi/payi.openapi.yaml",
      "--config",
      "openapi/redocly.yaml",
    ]);
    expect(linted.code, linted.out).toBe(0);

    // Both clients have the method, with its params and result typed from the spec.
    writeFileSync(
      join(scratch, "test/types/new-operation.test-d.ts"),
      `import { AsyncPayi, Payi } from "../../src/index.js";
const label: string = (await new AsyncPayi().widgets.labels.create({ widget_id: "w", label: "red", dry_run: false })).label;
const weight: number | undefined = new Payi().widgets.labels.create({ widget_id: "w", label: "red" }).weight;
// @ts-expect-error label is required
void new AsyncPayi().widgets.labels.create({ widget_id: "w" });
export { label, weight };
`,
    );
    const typed = await run("typescript/bin/tsc", ["--noEmit", "-p", "."]);
    expect(typed.code, typed.out).toBe(0);

    const report = join(scratch, "report.json");
    const tested = await run("vitest/vitest.mjs", [
      "run",
      "--project",
      "unit",
      "--project",
      "contract",
      "test/spec/",
      "test/contract/spec.test.ts",
      "test/contract/async-client.test.ts",
      "test/contract/sync-client.test.ts",
      "--reporter=json",
      `--outputFile=${report}`,
    ]);
    type Result = { title: string; status: string; failureMessages: string[] };
    const results = (
      JSON.parse(readFileSync(report, "utf8")) as { testResults: { assertionResults: Result[] }[] }
    ).testResults.flatMap((f) => f.assertionResults);
    const failed = results
      .filter((r) => r.status === "failed")
      .map((r) => `${r.title}: ${r.failureMessages.join("\n").slice(0, 2000)}`);
    expect(failed).toEqual([]);
    expect(tested.code, tested.out.slice(-4000)).toBe(0);
    const ofNewOperation = results.filter((r) => r.title.includes(ID));
    // Among them: the document's checks; plain fetch (minimal, full, without its required field,
    // a field of the wrong type); AsyncPayi (minimal, full); Payi.
    expect(ofNewOperation.map((r) => r.title)).toEqual(
      expect.arrayContaining([
        `${ID} has docs, every error answer and an example of success`,
        `${ID} (minimal params)`,
        `${ID} (full params)`,
        `${ID} without its required body field label`,
        `${ID} with label of the wrong type`,
        `client.${ID} (minimal params)`,
        `client.${ID} (full params)`,
        ID,
      ]),
    );
    expect(ofNewOperation.every((r) => r.status === "passed")).toBe(true);
  });
});
