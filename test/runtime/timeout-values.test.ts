// What a timeout option may be (Timeout.from): a Timeout, a number of milliseconds, a plain
// { timeout, connect } (as options arrive from another thread), or nothing for the defaults.
import { describe, expect, it } from "vitest";
import { PayiValidationError, Timeout } from "../../src/index.js";

const bounds = (t: Timeout) => [t.timeout, t.connect];

describe("Timeout.from", () => {
  it("takes a Timeout as it is", () => {
    const t = new Timeout({ timeout: 1_500, connect: 300 });
    expect(Timeout.from(t)).toBe(t);
  });

  it("takes a number as the whole-attempt bound, connecting within 5 s or that bound", () => {
    expect(bounds(Timeout.from(150))).toEqual([150, 150]);
    expect(bounds(Timeout.from(20_000))).toEqual([20_000, 5_000]);
  });

  it("takes a plain { timeout, connect }, each part defaulting on its own", () => {
    const t = Timeout.from({ timeout: 1_500, connect: 300 });
    expect(t).toBeInstanceOf(Timeout);
    expect(bounds(t)).toEqual([1_500, 300]);
    expect(bounds(Timeout.from({ connect: 300 }))).toEqual([60_000, 300]);
    expect(bounds(Timeout.from({}))).toEqual([60_000, 5_000]);
  });

  it("gives the defaults for nothing: undefined, or null from JavaScript", () => {
    expect(bounds(Timeout.from(undefined))).toEqual([60_000, 5_000]);
    expect(bounds(Timeout.from(null as never))).toEqual([60_000, 5_000]);
  });

  it("refuses a bad part of a plain one by name, with what was given", () => {
    const err = (() => {
      try {
        Timeout.from({ timeout: 1_000, connect: -5 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayiValidationError);
    expect((err as PayiValidationError).issues).toEqual([
      {
        path: "connect",
        message: "must be a positive number of milliseconds up to 2147483647 (about 24.8 days), got -5",
      },
    ]);
  });
});
