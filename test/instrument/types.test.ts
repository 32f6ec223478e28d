// Compile-time checks (tsc runs over the tests in CI): unit kinds are names, not strings, and an
// instrumented client keeps its own type.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { AzureOpenAI } from "openai";
import { describe, expect, expectTypeOf, it } from "vitest";
import { AsyncPayi } from "../../src/index.js";
import { instrument, UNIT_KINDS, unitsFrom, type UnitKind, type Units } from "../../src/instrument/index.js";

describe("payi/instrument types", () => {
  it("unit kinds are typed names: a typo does not compile", () => {
    const units: Units = { text: { input: 1, output: 2 }, text_cache_write_1h: { input: 3, output: 0 } };
    // @ts-expect-error "txt" is not a unit kind
    const typo: Units = { txt: { input: 1, output: 2 } };
    expect(Object.keys(units).every((k) => (UNIT_KINDS as readonly string[]).includes(k))).toBe(true);
    expect(typo).toBeDefined();
    expectTypeOf(unitsFrom.anthropic({})).toEqualTypeOf<Units>();
    expectTypeOf<"reasoning" | "web_search_request" | "text_large_context">().toExtend<UnitKind>();
  });

  it("an instrumented client is of its own class and type", () => {
    const pi = instrument(new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9", logLevel: "off" }));
    const openai = pi.openai(new OpenAI({ apiKey: "sk", baseURL: "http://127.0.0.1:9/v1" }));
    const azure = pi.openai(new AzureOpenAI({ apiKey: "k", endpoint: "http://127.0.0.1:9", apiVersion: "2024-10-21" }));
    const anthropic = pi.anthropic(new Anthropic({ apiKey: "sk", baseURL: "http://127.0.0.1:9" }));
    expectTypeOf(openai).toEqualTypeOf<OpenAI>();
    expectTypeOf(azure).toEqualTypeOf<AzureOpenAI>();
    expectTypeOf(anthropic).toEqualTypeOf<Anthropic>();
    expect([openai instanceof OpenAI, azure instanceof AzureOpenAI, anthropic instanceof Anthropic]).toEqual([
      true,
      true,
      true,
    ]);
    // @ts-expect-error not a provider client
    expect(() => pi.openai({})).toThrow(/expected a client of the provider's SDK/);
  });
});
