// Entry point. Invoked as `gosu` (argv[0] basename) it is the gosu drop-in; otherwise the sbx CLI.
import { basename } from "node:path";
import { defineCommand } from "citty";
import { capsCommand } from "./cli/caps.ts";
import { execCommand, runExec, wantsHelp } from "./cli/exec.ts";
import { runGosu } from "./gosu/main.ts";
import { doctorCommand } from "./cli/doctor.ts";
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
    exec: execCommand,
    doctor: doctorCommand,
  },
});

const argv = process.argv.slice(2);
if (basename(process.argv0) === "gosu") {
  runGosu(process.argv0, argv, process.env);
} else if (argv[0] === "exec" && !wantsHelp(argv.slice(1))) {
  // Straight to exec: citty's root-level parse chokes on option values such as
  // "-all,+net_bind_service" ("_" becomes a short flag), and exec parses strictly itself.
  runExec(argv.slice(1));
} else if (argv[0] === "--version" || argv[0] === "-V") {
  process.stdout.write(versionLine() + "\n");
} else {
  await runCli(main, argv);
}
