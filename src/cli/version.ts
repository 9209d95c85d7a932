// `sbx --version`: what runCli prints for a first word of --version or -V, written through libc so
// that a failed write is still one line and exit 4.
import { exit, writeStderr } from "../sys/process.ts";
import { versionLine } from "../version.ts";
import { print } from "./output.ts";

export function printVersion(): never {
  try {
    print(versionLine() + "\n");
  } catch (e) {
    writeStderr(`sbx: internal error, nothing was executed: ${e instanceof Error ? e.message : String(e)}`);
    return exit(70);
  }
  return exit(0);
}
