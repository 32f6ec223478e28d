// The package as users get it: packed, installed from the tarball into a fresh project, then
// imported (ESM), required (CommonJS) and type-checked with TypeScript 5.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RegistryUnreachable, tool } from "../helpers/tools.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let dir: string;

const run = (cmd: string, args: string[], cwd = dir) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PAYI_API_KEY: "consumer-key" },
    stdio: ["ignore", "pipe", "pipe"],
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "payi-consumer-"));
  run(npm, ["pack", "--silent", "--pack-destination", dir], root);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", join(dir, tarball)]);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packed package", () => {
  it("imports as ESM, with payi/errors sharing the classes", () => {
    writeFileSync(
      join(dir, "esm.mjs"),
      `import { AsyncPayi, Payi, Timeout, NotFoundError } from "payi";
import * as errors from "payi/errors";
const c = new AsyncPayi({ baseURL: process.argv[2], timeout: new Timeout({ timeout: 5000 }) });
const r = await c.limits.retrieve({ limit_id: "lim_1" });
const s = new Payi({ baseURL: process.argv[2] }).limits.retrieve({ limit_id: "lim_1" });
const e = await c.limits.retrieve({ limit_id: "x" }, { headers: { Prefer: "code=404" } }).catch((e) => e);
console.log(JSON.stringify([r.limit.limit_id, s.limit.limit_id, e instanceof errors.NotFoundError, errors.NotFoundError === NotFoundError]));`,
    );
    expect(JSON.parse(run(process.execPath, ["esm.mjs", inject("prismURL")]))).toEqual([
      "lim_7d3f2a9c",
      "lim_7d3f2a9c",
      true,
      true,
    ]);
  });

  it("names itself and its version to the service", async () => {
    const agents: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      agents.push(req.headers["user-agent"]);
      req
        .resume()
        .on("end", () =>
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ request_id: "r" })),
        );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      writeFileSync(
        join(dir, "agent.mjs"),
        `import { AsyncPayi } from "payi";
await new AsyncPayi({ baseURL: process.argv[2] }).ingest.units({ category: "system.openai", units: { text: { input: 1 } } });`,
      );
      await promisify(execFile)(
        process.execPath,
        ["agent.mjs", `http://127.0.0.1:${(server.address() as AddressInfo).port}`],
        { cwd: dir, env: { ...process.env, PAYI_API_KEY: "consumer-key" } },
      );
      const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      expect(agents).toEqual([`payi-typescript/${version} node/${process.version}`]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("resolves its subpaths' types under moduleResolution node10 (typesVersions)", () => {
    writeFileSync(
      join(dir, "tsconfig.node10.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "commonjs",
          moduleResolution: "node10",
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["node10.ts"],
      }),
    );
    writeFileSync(
      join(dir, "node10.ts"),
      `import { AsyncPayi } from "payi";
import { NotFoundError } from "payi/errors";
import { instrument } from "payi/instrument";
import { createMockPayi } from "payi/testing";
declare const e: NotFoundError;
export const checked: [404, unknown, unknown, unknown] = [e.status, AsyncPayi, instrument, createMockPayi];
`,
    );
    expect(run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.node10.json"])).toBe(
      "",
    );
  });

  it("requires as CommonJS", () => {
    writeFileSync(
      join(dir, "cjs.cjs"),
      `const { AsyncPayi, Payi } = require("payi");
const { AuthenticationError } = require("payi/errors");
const s = new Payi({ baseURL: process.argv[2] }).limits.retrieve({ limit_id: "lim_1" });
new AsyncPayi({ baseURL: process.argv[2] }).limits.retrieve({ limit_id: "lim_1" }).then((r) => console.log(JSON.stringify([r.limit.limit_id, s.limit.limit_id, typeof AuthenticationError])));`,
    );
    expect(JSON.parse(run(process.execPath, ["cjs.cjs", inject("prismURL")]))).toEqual([
      "lim_7d3f2a9c",
      "lim_7d3f2a9c",
      "function",
    ]);
  });

  // Every Node line engines claims that is still maintained, besides the one running this.
  for (const line of ["node22", "node24", "node26"] as const) {
    it(`runs on ${line.replace("node", "Node ")}, as ESM and as CommonJS`, { timeout: 300_000 }, async (ctx) => {
      let node: string;
      try {
        node = await tool(line);
      } catch (e) {
        if (e instanceof RegistryUnreachable) ctx.skip(e.message);
        throw e;
      }
      expect(run(node, ["--version"]).trim()).toMatch(new RegExp(`^v${line.slice(4)}\\.`));
      expect(JSON.parse(run(node, ["esm.mjs", inject("prismURL")]))).toEqual([
        "lim_7d3f2a9c",
        "lim_7d3f2a9c",
        true,
        true,
      ]);
      expect(JSON.parse(run(node, ["cjs.cjs", inject("prismURL")]))).toEqual([
        "lim_7d3f2a9c",
        "lim_7d3f2a9c",
        "function",
      ]);
    });
  }

  it("type-checks a file that uses both clients, with TypeScript 5", () => {
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ["use.ts"],
      }),
    );
    writeFileSync(
      join(dir, "use.ts"),
      `import { AsyncPayi, Payi, type IngestResponse, type LimitsCreateParams, type CategoryResourceResponse } from "payi";
import { RateLimitError } from "payi/errors";
export async function main(): Promise<string> {
  const client = new AsyncPayi();
  const r: IngestResponse = await client.ingest.units({ category: "system.openai", units: { text: { input: 1 } }, limit_ids: ["b"] });
  const p: LimitsCreateParams = { limit_name: "monthly-budget", max: 10 };
  const sync = new Payi();
  const res: CategoryResourceResponse = sync.categories.resources.create({ category: "c", resource: "r", units: { text: { input_price: 1 } } });
  for (const l of sync.limits.list()) l.limit_name.toUpperCase();
  for await (const l of client.limits.list()) l.limit_id.toUpperCase();
  try { await client.limits.create(p); } catch (e) { if (e instanceof RateLimitError) return String(e.status); }
  return r.request_id + res.resource_id;
}
`,
    );
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    expect(run(process.execPath, [tsc, "-p", "."])).toBe("");
    writeFileSync(
      join(dir, "use.ts"),
      `import { AsyncPayi } from "payi";\nvoid new AsyncPayi().ingest.units({ category: 1, units: {} });\n`,
    );
    const failed = (() => {
      try {
        run(process.execPath, [tsc, "-p", "."]);
        return "";
      } catch (e) {
        return String((e as { stdout?: string }).stdout);
      }
    })();
    expect(failed).toMatch(/use\.ts.*error TS2322.*number.*string/s);
  });

  it("installs the payi command", () => {
    expect(run(join(dir, "node_modules/.bin/payi"), ["--help"])).toMatch(/Usage: payi backfill <events\.jsonl>/);
  });

  it("payi mock, without Prism installed, says exactly what to install", () => {
    const failed = (() => {
      try {
        run(join(dir, "node_modules/.bin/payi"), ["mock"]);
        return { status: 0, stderr: "" };
      } catch (e) {
        return e as { status: number; stderr: string };
      }
    })();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("npm install --save-dev @stoplight/prism-cli@5.14.2");
  });

  it("payi/testing: a fake of the API for AsyncPayi (fetch) and Payi (a port), recording the events", () => {
    writeFileSync(
      join(dir, "fake.mjs"),
      `import { AsyncPayi, Payi } from "payi";
import { createMockPayi } from "payi/testing";
const mock = createMockPayi();
await new AsyncPayi({ apiKey: "k", fetch: mock.fetch }).ingest.units({ category: "system.openai", units: { text: { input: 1 } }, user_id: "u1" });
const { url } = await mock.listen();
const limit = new Payi({ apiKey: "k", baseURL: url }).limits.retrieve({ limit_id: "lim_1" }).limit.limit_id;
await mock.close();
console.log(JSON.stringify([mock.events, limit, mock.requests.length]));`,
    );
    expect(JSON.parse(run(process.execPath, ["fake.mjs"]))).toEqual([
      [{ category: "system.openai", units: { text: { input: 1 } }, user_id: "u1" }],
      "lim_7d3f2a9c",
      2,
    ]);
  });

  it("ships the OpenAPI document, importable by path", () => {
    const path = run(process.execPath, ["-e", `console.log(require.resolve("payi/openapi.yaml"))`]).trim();
    expect(path).toMatch(/openapi\/payi\.openapi\.yaml$/);
  });
});
