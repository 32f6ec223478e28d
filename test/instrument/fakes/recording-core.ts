/** An instrumentation core that records what provider modules report, for tests at the provider contract. */
import type { CallReport, InstrumentCore } from "../../../src/instrument/call.js";
import type { PayiContext } from "../../../src/instrument/context.js";

export interface RecordingCore extends InstrumentCore {
  reports: { call: CallReport; ctx: PayiContext }[];
  faults: unknown[];
  /** Resolves once `n` calls have been reported. */
  reported(n?: number): Promise<void>;
}

export function recordingCore(context: PayiContext = {}): RecordingCore {
  const waiters: { n: number; resolve: () => void }[] = [];
  const core: RecordingCore = {
    reports: [],
    faults: [],
    context: () => ({ ...context }),
    report(call, ctx) {
      core.reports.push({ call, ctx });
      for (const w of waiters.filter((w) => core.reports.length >= w.n)) w.resolve();
    },
    proxyHeaders(ctx, headers) {
      if (ctx.user_id) headers.set("xProxy-User-ID", ctx.user_id);
    },
    fault: (e) => void core.faults.push(e),
    onShutdown: () => () => {},
    onFlush: () => () => {},
    reported: (n = 1) =>
      core.reports.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
  return core;
}
