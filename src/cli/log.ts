// Messages to people from the read-only commands go through one consola instance, with one
// reporter: a synchronous write to fd 2 (nothing held in a timer or a stream buffer: the process
// may _exit right after), one line each, tagged with the command ("sbx caps: …"), warnings marked
// as such. Throttling is off, so a repeated message is never delayed or folded. consola/core keeps
// the fancy reporters, and their start-up cost, out of the binary; it is itself loaded (require,
// its own chunk) only at the first message, since most runs print none. (`sbx exec` and gosu mode
// write fd 2 directly: a message must not depend on anything once privileges are changing.)
import type { ConsolaInstance } from "consola/core";
import { exit, writeStderr } from "../sys/process.ts";

let instance: ConsolaInstance | undefined;

/** The instance, made at the first message: most runs print none. */
export function log(tag: string): ConsolaInstance {
  if (!instance) {
    const { createConsola } = require("./consola.ts") as typeof import("./consola.ts");
    instance = createConsola({
      level: 3,
      throttle: 0,
      reporters: [
        {
          log(o) {
            const text = o.args.map(String).join(" ");
            writeStderr(`${o.tag}: ${o.type === "warn" ? "warning: " : ""}${text}`);
          },
        },
      ],
    });
  }
  return instance.withTag(tag);
}

/** Print one line and exit: what failed, on which input, and the likely cause. */
export function die(message: string, code: number, tag = "sbx"): never {
  log(tag).error(message);
  return exit(code);
}
