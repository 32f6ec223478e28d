// Hovers, docs and signature help as an editor shows them to a user: `payi` resolved through
// the package's exports to the built declaration files (the checks are in test/docs/editor.ts).
import { editorChecks } from "../docs/editor.js";

editorChecks("dist");
