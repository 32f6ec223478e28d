// What AsyncPayi takes for a browser page (and refuses without dangerouslyAllowBrowser): a
// `window` object with a document, and a navigator. Runtimes that have only some of these
// (a `window` of null, one without a document, no navigator) are not pages: the client starts.
import { afterEach, describe, expect, it } from "vitest";
import { AsyncPayi, PayiError } from "../../src/index.js";

const g = globalThis as Record<string, unknown>;
const saved = { window: g.window, navigator: Object.getOwnPropertyDescriptor(globalThis, "navigator") };
afterEach(() => {
  if (saved.window === undefined) delete g.window;
  else g.window = saved.window;
  if (saved.navigator) Object.defineProperty(globalThis, "navigator", saved.navigator);
  else delete g.navigator;
});
function globals(window: unknown, navigator: unknown) {
  if (window === undefined) delete g.window;
  else g.window = window;
  if (navigator === undefined) delete g.navigator;
  else Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, writable: true });
}
const make = () => new AsyncPayi({ apiKey: "k-browser", baseURL: "http://127.0.0.1:9", logLevel: "off" });

describe("a browser page, to AsyncPayi", () => {
  it("has a window with a document, and a navigator: refused", () => {
    globals({ document: {} }, { userAgent: "test" });
    expect(make).toThrow(PayiError);
  });

  it.each([
    ["no window", undefined, { userAgent: "test" }],
    ["a window of null", null, { userAgent: "test" }],
    ["a window that is no object", "window", { userAgent: "test" }],
    ["a window without a document", {}, { userAgent: "test" }],
    ["no navigator", { document: {} }, undefined],
  ])("is not what has %s: the client starts", (_what, window, navigator) => {
    globals(window, navigator);
    expect(make()).toBeInstanceOf(AsyncPayi);
  });
});
