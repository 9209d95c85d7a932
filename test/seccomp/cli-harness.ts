// `sbx …` from source, as main.ts runs it, for the seccomp CLI tests.
import { runCli } from "../../src/cli/dispatch.ts";
import { Environment } from "../../src/identity/env.ts";
import { exit } from "../../src/sys/process.ts";

await runCli(process.argv.slice(2), Environment.fromBlock([]));
exit(0);
