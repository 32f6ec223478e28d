// The tests mutation testing runs (stryker.config.mjs): the "unit" and "integration" projects
// as one config, since Stryker's vitest runner runs every project of the config it is given.
import { defineConfig } from "vitest/config";
import { mutation } from "./vitest.config.ts";

export default defineConfig({
  test: { ...mutation, testTimeout: 20_000, hookTimeout: 30_000, setupFiles: ["test/helpers/mutant-in-children.ts"] },
});
