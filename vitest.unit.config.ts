// The unit project on its own, for tools that take a config rather than a project name
// (Stryker's vitest runner runs every project of the config it is given).
import { defineConfig } from "vitest/config";
import { unit } from "./vitest.config";

export default defineConfig({
  test: { ...unit, testTimeout: 20_000, hookTimeout: 30_000, setupFiles: ["test/helpers/mutant-in-children.ts"] },
});
