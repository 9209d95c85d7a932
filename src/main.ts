// Entry point. Invoked as `gosu` (argv[0] basename) it is the gosu drop-in; otherwise the sbx CLI.
// Commands are imported only when named: start-up cost sits in front of every container start.
import { basename } from "node:path";
import { defineCommand } from "citty";
import { runtimeHookMessage, runtimeHookVariable } from "./runtimeEnv.ts";
import { VERSION, versionLine } from "./version.ts";

const main = defineCommand({
  meta: {
    name: "sbx",
    version: VERSION,
    description: "Safe, verifiable privilege step-down for container entrypoints",
  },
  subCommands: {
    caps: () => import("./cli/caps.ts").then((m) => m.capsCommand),
    exec: () => import("./cli/exec.ts").then((m) => m.execCommand),
    doctor: () => import("./cli/doctor.ts").then((m) => m.doctorCommand),
    seccomp: () => import("./cli/seccomp.ts").then((m) => m.seccompCommand),
  },
});

const argv = process.argv.slice(2);
const asGosu = basename(process.argv0) === "gosu";
const hook = runtimeHookVariable(process.env);
if (hook) {
  // Before anything else runs; _exit, so no exit-time runtime work happens either.
  const { exit, writeStderr } = await import("./sys/process.ts");
  writeStderr(`${asGosu ? "error" : argv[0] === "exec" ? "sbx exec: usage" : "sbx"}: ${runtimeHookMessage(hook)}`);
  exit(asGosu ? 1 : argv[0] === "exec" ? 200 : 2);
} else if (asGosu) {
  await (await import("./gosu/main.ts")).runGosu(process.argv0, argv, process.env);
} else if (argv[0] === "--version" || argv[0] === "-V") {
  process.stdout.write(versionLine() + "\n");
} else if (argv[0] === "exec" && !(await import("./cli/exec.ts")).wantsHelp(argv.slice(1))) {
  // exec parses its own options strictly (citty reads --no-new-privs as a negation).
  await (await import("./cli/exec.ts")).runExec(argv.slice(1));
} else {
  await (await import("./cli/run.ts")).runCli(main, argv);
}
