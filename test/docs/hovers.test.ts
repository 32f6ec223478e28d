// What an editor shows, asked of the TypeScript language service as an editor asks it: results
// by their exported names (not their fields inline), field docs as plain sentences from the
// spec, and deprecated calls marked so.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const file = `${root}hover-sample.ts`;
const source = `import { AsyncPayi, type ExperienceType, type LimitsCreateParams } from "payi";
const client = new AsyncPayi();
const ingested = await client.ingest.units({ category: "system.openai", units: { text: { input: 1 } } });
const page = await client.limits.list();
const listed = page.items[0];
const params: LimitsCreateParams = { limit_name: "monthly", max: 100 };
params.max;
ingested.xproxy_result;
await client.experiences.retrieve({ experience_id: "e" });
export let kind: ExperienceType | undefined;
`;

let service: ts.LanguageService;
beforeAll(() => {
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    skipLibCheck: true,
    baseUrl: root,
    paths: { payi: ["./src/index.ts"] },
  };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) => {
      const text = name === file ? source : ts.sys.fileExists(name) ? readFileSync(name, "utf8") : undefined;
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => root,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (name) => name === file || ts.sys.fileExists(name),
    readFile: (name) => (name === file ? source : ts.sys.readFile(name)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  service = ts.createLanguageService(host, ts.createDocumentRegistry());
});

/** The hover at the `nth` occurrence of `word`: its signature line, docs and tags. */
function hover(word: string, nth = 0) {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = source.indexOf(word, at + 1);
  const info = service.getQuickInfoAtPosition(file, at);
  return {
    display: ts.displayPartsToString(info?.displayParts),
    docs: ts.displayPartsToString(info?.documentation),
    tags: (info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trim()),
  };
}

describe("hovers", () => {
  it("the sample compiles", () => {
    expect(
      service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    ).toEqual([]);
  }, 120_000);

  it("show a result by its exported name", () => {
    expect(hover("ingested").display).toBe("const ingested: IngestResponse");
    expect(hover("listed").display).toBe("const listed: LimitListResponse");
    expect(hover("page").display).toBe("const page: Page<LimitListResponse>");
  });

  it("show a field's doc as the spec's sentence, no tags or formats first", () => {
    const max = hover("max", 1);
    expect(max.display).toBe("(property) max: number");
    expect(max.docs).toBe("The maximum cost the limit allows.");
    expect(max.tags).toEqual([]);
    expect(hover("xproxy_result").docs).toBe(
      "What Pay-i recorded: the event's request id, its cost and the state of its limits.",
    );
  });

  it("document calls, and mark deprecated ones", () => {
    expect(hover("units", 0).docs).toMatch(/\S/);
    expect(hover("retrieve", 0).tags).toEqual([expect.stringMatching(/^@deprecated .*useCases/)]);
    expect(hover("ExperienceType", 1).tags).toEqual(["@deprecated"]);
  });
});
