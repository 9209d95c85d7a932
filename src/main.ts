// Entry point. Invoked as `gosu` (argv[0] basename) it is the gosu drop-in; otherwise the sbx CLI.
import { basename } from "node:path";
import { defineCommand } from "citty";
import { capsCommand } from "./cli/caps.ts";
import { runCli } from "./cli/run.ts";
import { VERSION, versionLine } from "./version.ts";

const main = defineCommand({
  meta: {
    name: "sbx",
    version: VERSION,
    description: "Safe, verifiable privilege step-down for container entrypoints",
  },
  subCommands: {
    caps: capsCommand,
  },
});

const argv = process.argv.slice(2);
if (argv[0] === "--version" || argv[0] === "-V") {
  process.stdout.write(versionLine() + "\n");
} else if (basename(process.argv0) === "gosu") {
  throw new Error("gosu mode is not built yet");
} else {
  await runCli(main, argv);
}
