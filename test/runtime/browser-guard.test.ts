// AsyncPayi in what looks like a browser page refuses to start unless told the key may be
// exposed (dangerouslyAllowBrowser), before any request; the Chromium test checks a real page.
import { afterEach, describe, expect, it } from "vitest";
import { AsyncPayi, PayiError } from "../../src/index.js";

const g = globalThis as Record<string, unknown>;
const saved = { window: g.window, navigator: Object.getOwnPropertyDescriptor(globalThis, "navigator") };
function pretendBrowser() {
  g.window = { document: {} };
  Object.defineProperty(globalThis, "navigator", { value: { userAgent: "test" }, configurable: true, writable: true });
}
afterEach(() => {
  if (saved.window === undefined) delete g.window;
  else g.window = saved.window;
  if (saved.navigator) Object.defineProperty(globalThis, "navigator", saved.navigator);
  else delete g.navigator;
});

describe("dangerouslyAllowBrowser", () => {
  it("is needed to construct AsyncPayi in a browser, and the error says why and how", () => {
    pretendBrowser();
    expect(() => new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9" })).toThrow(PayiError);
    expect(() => new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9" })).toThrow(
      /browser.*API key.*dangerouslyAllowBrowser: true/,
    );
    expect(new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9", dangerouslyAllowBrowser: true })).toBeInstanceOf(
      AsyncPayi,
    );
  });

  it("is not needed outside a browser", () => {
    expect(new AsyncPayi({ apiKey: "k", baseURL: "http://127.0.0.1:9" })).toBeInstanceOf(AsyncPayi);
  });
});
