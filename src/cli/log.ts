// Messages to people go through consola, with one reporter: a synchronous write to fd 2 (console
// output can be lost when the process image is replaced or _exit follows), one line each,
// prefixed with the command ("sbx caps: …"), warnings marked as such. consola/core keeps the
// fancy reporters, and their start-up cost, out of the binary.
import { createConsola, type ConsolaInstance } from "consola/core";
import { writeStderr } from "../sys/process.ts";

export function logger(prefix: string): ConsolaInstance {
  return createConsola({
    level: 3,
    reporters: [
      {
        log(o) {
          const text = o.args.map(String).join(" ");
          writeStderr(`${prefix}: ${o.type === "warn" ? "warning: " : ""}${text}`);
        },
      },
    ],
  });
}
