/** npm run mock [-- --port N] [-- --host H]: the same command as `npx payi mock`. */
import { mockCommand } from "../src/cli/mock.js";

process.exitCode = await mockCommand(process.argv.slice(2));
