// One Prism for the whole run, on a free port; tests read its URL with inject("prismURL").
import type { TestProject } from "vitest/node";
import { startMock } from "../../scripts/prism.js";

declare module "vitest" {
  export interface ProvidedContext {
    prismURL: string;
  }
}

export default async function setup(project: TestProject) {
  const mock = await startMock();
  project.provide("prismURL", mock.url);
  return () => mock.stop();
}
