// Every TypeScript sample of the README compiles under `strict`, as a user would paste it: the
// samples are read from README.md itself, so they cannot drift from the code. `payi` resolves
// to the sources. A sample may use `client` (AsyncPayi), `sync` (Payi) and `signal` without
// declaring them, as the README's prose sets them up once, and the few names that stand for the
// reader's own code or for packages this repository does not install (PLACEHOLDERS, typed any; `app` an Express-like app).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");

interface Sample {
  file: string;
  line: number;
  code: string;
}

/** The ```ts blocks of a markdown text, with the README line each starts on. */
export function samples(markdown: string): Sample[] {
  const out: Sample[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(markdown)); ) {
    const line = markdown.slice(0, m.index).split("\n").length + 1;
    out.push({ file: `${root}readme-samples/line-${line}.ts`, line, code: m[1] });
  }
  return out;
}

const PLACEHOLDERS = new Set([
  "app",
  "myService",
  "request",
  "messages",
  "prompt",
  "apiKey",
  "expect",
  "exporterProcessor",
  "NodeTracerProvider",
  "openai",
  "BedrockRuntimeClient",
  "GoogleGenAI",
  "wrapLanguageModel",
  "generateText",
]);

const prelude = (code: string, placeholders: Iterable<string> = []) =>
  [
    ...[...placeholders].map(
      (n) =>
        `declare const ${n}: ${n === "app" ? "{ post(path: string, handler: (req: any, res: any) => unknown): void }" : "any"};`,
    ),
    !/\bclient\b\s*=/.test(code) && /\bclient\b/.test(code) && 'declare const client: import("payi").AsyncPayi;',
    !/\bsync\b\s*=/.test(code) && /\bsync\b/.test(code) && 'declare const sync: import("payi").Payi;',
    /\bsignal\b/.test(code) && !/\bsignal\b\s*=/.test(code) && "declare const signal: AbortSignal;",
    "export {};",
  ]
    .filter(Boolean)
    .join(" ");

/** Compiles the samples; names of PLACEHOLDERS a sample leaves undeclared are declared for a second pass. */
function compile(list: Sample[]): string[] {
  const first = diagnostics(list, new Map());
  const missing = new Map<string, Set<string>>();
  for (const d of first) {
    const name = /^Cannot find name '(\w+)'|shorthand property '(\w+)'/.exec(
      ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    );
    const n = name?.[1] ?? name?.[2];
    if (d.file && n && PLACEHOLDERS.has(n))
      missing.set(d.file.fileName, (missing.get(d.file.fileName) ?? new Set()).add(n));
  }
  return (missing.size ? diagnostics(list, missing) : first).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const sample = list.find((s) => s.file === d.file?.fileName);
    // The prelude is the sample's first line, so a sample's line n is README line (start + n - 1).
    const at = sample && where ? `README.md:${sample.line + where.line - 1}` : (d.file?.fileName ?? "");
    return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

function diagnostics(list: Sample[], placeholders: Map<string, Set<string>>): readonly ts.Diagnostic[] {
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    skipLibCheck: true,
    noEmit: true,
    baseUrl: root,
    paths: {
      payi: ["./src/index.ts"],
      "payi/errors": ["./src/errors/index.ts"],
      "payi/instrument": ["./src/instrument/index.ts"],
      "payi/testing": ["./src/testing/index.ts"],
    },
  };
  const byFile = new Map(list.map((s) => [s.file, `${prelude(s.code, placeholders.get(s.file))}\n${s.code}`]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, version, ...rest) => {
    const text = byFile.get(name);
    return text !== undefined
      ? ts.createSourceFile(name, text, version)
      : getSourceFile.call(host, name, version, ...rest);
  };
  const fileExists = host.fileExists;
  host.fileExists = (name) => byFile.has(name) || fileExists.call(host, name);
  const program = ts.createProgram([...byFile.keys()], options, host);
  return ts.getPreEmitDiagnostics(program);
}

describe("the README's TypeScript samples", () => {
  const list = samples(readme);

  it("are found", () => {
    expect(list.length).toBeGreaterThan(8);
  });

  it("compile under strict", () => {
    expect(compile(list)).toEqual([]);
  }, 120_000);

  it("would catch a sample that does not compile", () => {
    const broken = samples(
      '```ts\nimport { RateLimitError } from "payi";\ndeclare const e: RateLimitError;\nconst n: 404 = e.status;\n```\n',
    );
    expect(compile(broken)).toEqual([
      expect.stringMatching(/^README\.md:4: Type '429' is not assignable to type '404'/),
    ]);
  }, 120_000);
});
