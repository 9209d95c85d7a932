// `sbx seccomp …` as main.ts will run it, for the CLI tests (the command is registered in main.ts
// separately).
import { defineCommand } from "citty";
import { runCli } from "../../src/cli/run.ts";
import { seccompCommand } from "../../src/cli/seccomp.ts";

await runCli(defineCommand({ meta: { name: "sbx" }, subCommands: { seccomp: seccompCommand } }), process.argv.slice(2));
