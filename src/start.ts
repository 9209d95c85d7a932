// Every start but a plain --version (main.ts). Invoked as `gosu` (argv[0] basename) it is the gosu
// drop-in; otherwise the sbx CLI.
// argv and the environment are read as the kernel passed them (bytes, duplicates included), not
// as the runtime decoded them. Commands are imported only when named: start-up cost sits in front
// of every container start. Nothing thrown may reach the runtime's own handler (a stack trace,
// exit 1): whatever escapes is one line and an "internal error" exit code.
import { mark } from "./phases.ts";
import { Environment } from "./identity/env.ts";
import { runtimeHookMessage, runtimeHookVariable } from "./runtimeEnv.ts";
import { rawArgv, rawEnviron } from "./sys/args.ts";
import { exit, writeStderr } from "./sys/process.ts";
import { toText } from "./text/bytes.ts";

mark("main");
const argv = rawArgv();
const environ = rawEnviron();
const env = Environment.fromBlock(environ);
mark("args");
const self = argv[0] ?? "sbx";
const asGosu = self.slice(self.lastIndexOf("/") + 1) === "gosu";
const words = argv.slice(1);
const execing = !asGosu && words[0] === "exec";

try {
  const hook = runtimeHookVariable(env.names());
  if (hook) {
    // Before anything else runs; _exit, so no exit-time runtime work happens either.
    writeStderr(`${asGosu ? "error" : execing ? "sbx exec: usage" : "sbx"}: ${runtimeHookMessage(toText(hook))}`);
    exit(asGosu ? 1 : execing ? 200 : 2);
  } else if (asGosu) {
    await (await import("./gosu/main.ts")).runGosu(self, words, environ, env);
  } else if (words[0] === "--version" || words[0] === "-V") {
    // What runCli does for a first word of --version, without loading the dispatcher.
    (await import("./cli/version.ts")).printVersion();
  } else if (execing) {
    // What runCli does for "exec", without loading the dispatcher, its help renderer and logger.
    await (await import("./cli/exec.ts")).execCommand.runWords!(words.slice(1), env);
  } else {
    await (await import("./cli/dispatch.ts")).runCli(words, env);
  }
  exit(0);
} catch (e) {
  const what = e instanceof Error ? e.message : String(e);
  writeStderr(`${asGosu ? "error" : execing ? "sbx exec: internal" : "sbx"}: internal error, nothing was executed: ${what}`);
  exit(asGosu ? 1 : execing ? 219 : 70);
}
