// Hovers, docs and signature help as an editor shows them, on the sources (the checks are in
// ./editor.ts; test/package/editor.test.ts runs them on the built declaration files).
import { editorChecks } from "./editor.js";

editorChecks("src");
