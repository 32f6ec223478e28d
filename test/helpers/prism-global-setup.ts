// One Prism for the whole run, on a free port; tests read its URL with inject("prismURL"). The
// projects that need it run their global setups in the same process and share it: the first
// starts it, the last to finish stops it.
import type { TestProject } from "vitest/node";
import { startMock } from "../../scripts/prism.js";

declare module "vitest" {
  export interface ProvidedContext {
    prismURL: string;
  }
}

type Mock = Awaited<ReturnType<typeof startMock>>;
const shared = globalThis as { payiPrism?: { mock: Promise<Mock>; users: number } };

export default async function setup(project: TestProject) {
  const entry = (shared.payiPrism ??= { mock: startMock(), users: 0 });
  entry.users++;
  const mock = await entry.mock;
  project.provide("prismURL", mock.url);
  return async () => {
    if (--entry.users > 0) return;
    shared.payiPrism = undefined;
    await mock.stop();
  };
}
