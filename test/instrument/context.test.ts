// Context scopes: the nesting rules against a small reference model (property test), per-call
// header overrides, bad input, and scopes that never bleed into each other however they interleave.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { getContext, instrument, track, type PayiContext } from "../../src/instrument/index.js";
import { applyHeaders } from "../../src/instrument/context.js";

/**
 * The reference model: each field's rule written out on its own, over the list of scopes from
 * the outermost in. A fresh use-case id is the symbol `fresh:<scope index>`.
 */
function model(scopes: PayiContext[]): Record<string, unknown> {
  let uc:
    | { name: string; id?: string; version?: number; step?: string; props?: Record<string, string | null> }
    | undefined;
  let limits: string[] | undefined;
  const plain: Record<string, string | undefined> = {};
  let props: Record<string, string | null> | undefined;
  let logging: boolean | undefined;
  const pickStr = (child: string | undefined, parent: string | undefined) =>
    child === undefined ? parent : child || undefined;
  const pickProps = (
    child: Record<string, string | null> | undefined,
    parent: Record<string, string | null> | undefined,
  ) => (child === undefined ? parent : Object.keys(child).length === 0 ? undefined : { ...parent, ...child });
  scopes.forEach((s, i) => {
    if (s.use_case_name === "") uc = undefined;
    else if (s.use_case_name !== undefined && s.use_case_name !== uc?.name) {
      uc = {
        name: s.use_case_name,
        id: pickStr(s.use_case_id, `fresh:${i}`),
        version: s.use_case_version,
        step: pickStr(s.use_case_step, undefined),
        props: pickProps(s.use_case_properties, undefined),
      };
    } else if (uc) {
      uc = {
        name: uc.name,
        id: pickStr(s.use_case_id, uc.id),
        version: s.use_case_version ?? uc.version,
        step: pickStr(s.use_case_step, uc.step),
        props: pickProps(s.use_case_properties, uc.props),
      };
    }
    if (s.limit_ids !== undefined)
      limits = s.limit_ids.length ? [...new Set([...(limits ?? []), ...s.limit_ids])] : undefined;
    for (const k of ["user_id", "account_name", "price_as_category", "price_as_resource", "resource_scope"] as const)
      plain[k] = pickStr(s[k], plain[k]);
    props = pickProps(s.request_properties, props);
    logging = s.log_prompt_and_response ?? logging;
  });
  const out: Record<string, unknown> = {
    ...plain,
    limit_ids: limits,
    request_properties: props,
    log_prompt_and_response: logging,
  };
  if (uc)
    Object.assign(out, {
      use_case_name: uc.name,
      use_case_id: uc.id,
      use_case_version: uc.version,
      use_case_step: uc.step,
      use_case_properties: uc.props,
    });
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const text = (values: string[]) => fc.option(fc.constantFrom(...values, ""), { nil: undefined });
const propsArb = fc.option(
  fc.dictionary(fc.constantFrom("a", "b", "c"), fc.option(fc.constantFrom("1", "2"), { nil: null }), { maxKeys: 2 }),
  { nil: undefined },
);
const scopeArb: fc.Arbitrary<PayiContext> = fc
  .record(
    {
      use_case_name: text(["chat", "search"]),
      use_case_id: text(["id-1", "id-2"]),
      use_case_version: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      use_case_step: text(["s1", "s2"]),
      use_case_properties: propsArb,
      limit_ids: fc.option(fc.uniqueArray(fc.constantFrom("l1", "l2", "l3"), { maxLength: 2 }), { nil: undefined }),
      user_id: text(["u1", "u2"]),
      account_name: text(["acme"]),
      request_properties: propsArb,
      price_as_category: text(["system.x"]),
      price_as_resource: text(["r1"]),
      resource_scope: text(["global", "datazone"]),
      log_prompt_and_response: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: [] },
  )
  .map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as PayiContext);

/** Replaces real fresh ids by the model's symbols, checking they map one to one. */
function symbolize(actual: PayiContext, expected: Record<string, unknown>, ids: Map<string, string>): PayiContext {
  const want = expected.use_case_id;
  if (typeof want === "string" && want.startsWith("fresh:") && actual.use_case_id) {
    const seen = ids.get(want);
    if (seen === undefined) {
      expect([...ids.values()]).not.toContain(actual.use_case_id);
      ids.set(want, actual.use_case_id);
    } else expect(actual.use_case_id).toBe(seen);
    return { ...actual, use_case_id: want };
  }
  return actual;
}

describe("track() nesting", () => {
  it("matches the reference model for any nesting of scopes, with awaits between them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(scopeArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        async (scopes, yields) => {
          const ids = new Map<string, string>();
          const visit = async (depth: number): Promise<void> => {
            if (yields[depth]) await new Promise((r) => setImmediate(r));
            const expected = model(scopes.slice(0, depth + 1));
            expect(symbolize(getContext(), expected, ids)).toEqual(expected);
            if (depth + 1 < scopes.length) await track(scopes[depth + 1], () => visit(depth + 1));
            // Back from the child: this scope's context again, its fresh id unchanged.
            expect(symbolize(getContext(), expected, ids)).toEqual(expected);
          };
          await track(scopes[0], () => visit(0));
          expect(getContext()).toEqual({});
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an instrumentor's root context is the outermost scope", () => {
    const pi = instrument(new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9", logLevel: "off" }), {
      context: { use_case_name: "app", use_case_id: "root-id", limit_ids: ["r"], user_id: "root-user" },
    });
    expect(pi.getContext()).toEqual({
      use_case_name: "app",
      use_case_id: "root-id",
      limit_ids: ["r"],
      user_id: "root-user",
    });
    track({ user_id: "", limit_ids: ["x"] }, () =>
      expect(pi.getContext()).toEqual({ use_case_name: "app", use_case_id: "root-id", limit_ids: ["r", "x"] }),
    );
    track({ use_case_name: "app", use_case_step: "one" }, () =>
      expect(pi.getContext()).toMatchObject({ use_case_id: "root-id", use_case_step: "one" }),
    );
    track({ use_case_name: "other" }, () => expect(pi.getContext().use_case_id).not.toBe("root-id"));
    // The module's own getContext() knows no root.
    expect(getContext()).toEqual({});
  });

  it("per-call xProxy-* headers beat the context; an empty one removes the field", () => {
    const ctx: PayiContext = {
      use_case_name: "chat",
      use_case_id: "c1",
      use_case_step: "s",
      limit_ids: ["a"],
      user_id: "u",
      request_properties: { p: "1" },
    };
    const h = new Headers({
      "xProxy-User-ID": "",
      "xProxy-Limit-IDs": "b, c,",
      "xProxy-UseCase-Name": "",
      "xProxy-Account-Name": "acme",
      "xProxy-Logging-Disable": "True",
      "xProxy-UseCase-Properties": '{"k":2}',
    });
    expect(applyHeaders(ctx, h)).toEqual({
      limit_ids: ["b", "c"],
      request_properties: { p: "1" },
      account_name: "acme",
      log_prompt_and_response: false,
      use_case_properties: { k: "2" },
    });
  });

  it("bad input is refused before anything runs, naming the field", () => {
    let ran = false;
    expect(() => track({ limit_ids: "a" as unknown as string[] }, () => (ran = true))).toThrow(
      /track: limit_ids must be an array of strings/,
    );
    expect(() => track({ use_case_version: 1.5 }, () => (ran = true))).toThrow(/use_case_version must be an integer/);
    expect(() => track({ request_properties: { a: 1 as unknown as string } }, () => (ran = true))).toThrow(
      /request_properties/,
    );
    expect(ran).toBe(false);
    const payi = new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9", logLevel: "off" });
    expect(() => instrument(payi, { mode: "batch" as "ingest" })).toThrow(/mode must be "ingest" or "direct"/);
    expect(() => instrument(payi, { modelMappings: [{ model: "gpt-4o" }] })).toThrow(
      /modelMappings\[0\] needs price_as_category or price_as_resource/,
    );
    expect(() => instrument({} as AsyncPayi)).toThrow(/client must be an AsyncPayi/);
  });

  it("returns what fn returns, a promise included, and the scope holds across its awaits", async () => {
    expect(track({ user_id: "a" }, () => 42)).toBe(42);
    const r = await track({ user_id: "a" }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return getContext().user_id;
    });
    expect(r).toBe("a");
  });
});
