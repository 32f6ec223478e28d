import { vi } from "vitest";

/**
 * Runs `f` with a clock (`Date.now`) that moves `step` ms each time it is read, so that a sync
 * call's budget of a minute or more ends within seconds of real time. A read past ten minutes
 * throws, so that a call which would wait for ever fails its test instead of hanging it.
 */
export function fastClock<T>(step: number, f: () => T): T {
  const start = Date.now();
  let now = start;
  const clock = vi.spyOn(Date, "now").mockImplementation(() => {
    now += step;
    if (now - start > 600_000) throw new Error("the call was still waiting after ten minutes");
    return now;
  });
  try {
    return f();
  } finally {
    clock.mockRestore();
  }
}
