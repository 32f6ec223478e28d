// What an editor shows, asked of the TypeScript language service as an editor asks it: results
// by their exported names (not their fields inline), field docs as plain sentences from the
// spec, deprecated calls marked so, and each parameter's doc in signature help. Run on the
// sources (test/docs/hovers.test.ts) and on the built declarations users get
// (test/package/editor.test.ts).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const file = `${root}hover-sample.ts`;
const source = `import { AsyncPayi, Payi, type ExperienceType, type LimitsCreateParams } from "payi";
const client = new AsyncPayi();
const ingested = await client.ingest.units({ category: "system.openai", units: { text: { input: 1 } } });
const page = await client.limits.list();
const listed = page.items[0];
const params: LimitsCreateParams = { limit_name: "monthly", max: 100 };
params.max;
ingested.xproxy_result;
await client.experiences.retrieve({ experience_id: "e" });
export let kind: ExperienceType | undefined;
await client.limits.update({ limit_id: "lim_1", max: 5 }, { timeout: 1000 });
(await client.ingest.bulk({ events: [] })).errors?.[0]?.xproxy_result;
new Payi().categories.resources.retrieve({ category: "system.openai", resource: "gpt-4o", resource_id: "r" }, { maxRetries: 0 });
`;

/**
 * `from`: "src" resolves `payi` to the sources; "dist" resolves it as a user's project does,
 * through the package's `exports` to the built declaration files.
 */
export function editorChecks(from: "src" | "dist") {
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
      ...(from === "src" ? { baseUrl: root, paths: { payi: ["./src/index.ts"] } } : {}),
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

  /** The offset of the `nth` occurrence of `word` in the sample. */
  function at(word: string, nth = 0) {
    let i = -1;
    for (let n = 0; n <= nth; n++) i = source.indexOf(word, i + 1);
    if (i < 0) throw new Error(`${word} is not in the sample`);
    return i;
  }

  /** The hover at the `nth` occurrence of `word`: its signature line, docs and tags. */
  function hover(word: string, nth = 0) {
    const info = service.getQuickInfoAtPosition(file, at(word, nth));
    return {
      display: ts.displayPartsToString(info?.displayParts),
      docs: ts.displayPartsToString(info?.documentation),
      tags: (info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trim()),
    };
  }

  /** Signature help with the cursor on `word` (an argument of a call): the parameter it is on, and its doc. */
  function signatureHelp(word: string) {
    const help = service.getSignatureHelpItems(file, at(word), undefined);
    const item = help?.items[help.selectedItemIndex];
    const param = item?.parameters[help?.argumentIndex ?? -1];
    return {
      signature: item ? ts.displayPartsToString([...item.prefixDisplayParts, ...item.suffixDisplayParts]) : "",
      parameter: param?.name,
      docs: ts.displayPartsToString(param?.documentation),
      tags: (item?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trim()),
    };
  }

  describe(`the editor, on ${from === "src" ? "the sources" : "the built declaration files"}`, () => {
    it("compiles the sample", () => {
      expect(
        service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
      ).toEqual([]);
    }, 120_000);

    it(`resolves payi to ${from === "src" ? "the sources" : "the built declarations, plainly named"}`, () => {
      const [definition] = service.getDefinitionAtPosition(file, at("AsyncPayi", 1)) ?? [];
      expect(definition?.fileName.slice(root.length)).toMatch(from === "src" ? /^src\// : /^dist\/[a-z-]+\.d\.ts$/);
    });

    it("shows a result by its exported name", () => {
      expect(hover("ingested").display).toBe("const ingested: IngestResponse");
      expect(hover("listed").display).toBe("const listed: LimitListResponse");
      expect(hover("page").display).toBe("const page: Page<LimitListResponse>");
    });

    it("shows a field's doc as the spec's sentence, no tags or formats first", () => {
      const max = hover("max", 1);
      expect(max.display).toBe("(property) max: number");
      expect(max.docs).toBe("The maximum cost the limit allows.");
      expect(max.tags).toEqual([]);
      expect(hover("xproxy_result").docs).toBe(
        "What Pay-i recorded: the event's request id, its cost and the state of its limits.",
      );
      // A refused event of a bulk ingest carries the error, not a record of the event.
      const refused = hover("xproxy_result", 1);
      expect(refused.display).toMatch(/^\(property\) xproxy_result\?: \{\s+message: string;/);
      expect(refused.docs).toBe("Why the event was refused: the error, with its status, message and Pay-i error code.");
    });

    it("documents calls, and marks deprecated ones", () => {
      expect(hover("units", 0).docs).toMatch(/\S/);
      expect(hover("retrieve", 0).tags.filter((t) => t.startsWith("@deprecated"))).toEqual([
        expect.stringMatching(/^@deprecated .*useCases/),
      ]);
      expect(hover("ExperienceType", 1).tags).toEqual(["@deprecated"]);
    });

    it("documents each parameter in signature help, in AsyncPayi and in Payi", () => {
      const params = signatureHelp("limit_id: ");
      expect(params.signature).toBe("update(): APIPromise<LimitResponse>");
      expect(params.parameter).toBe("params");
      expect(params.docs).toMatch(/`limit_id` \(path\).*LimitUpdateRequest/);
      expect(params.tags).toContain("@param params.limit_id The id of the limit.");
      const options = signatureHelp("timeout: 1000");
      expect(options.parameter).toBe("options");
      expect(options.docs).toMatch(/`timeout`, `maxRetries`/);

      const sync = signatureHelp('resource_id: "r"');
      expect(sync.signature).toBe("retrieve(): CategoryResourceResponse");
      expect(sync.parameter).toBe("params");
      expect(sync.docs).toMatch(/`category`, `resource`, `resource_id` \(path\)/);
      expect(sync.tags).toContain(
        "@param params.resource_id The id of one version of the resource, as answered when it was created.",
      );
      expect(signatureHelp("maxRetries: 0").docs).toMatch(/Options for this call/);
    });
  });
}
