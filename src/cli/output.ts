// What the commands print on stdout, written synchronously through libc: a full disk or a closed
// pipe is one line and exit 4, never an exception from a stream.
import { EXIT } from "../exitCodes.ts";
import { writeAll, writeText } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import { die } from "./log.ts";

export function print(text: string, code: number = EXIT.OUTPUT, tag = "sbx"): void {
  const r = writeText(1, text);
  if (!r.ok) die(`cannot write the output: ${describe(r)}`, code, tag);
}

export function printBytes(bytes: Uint8Array, code: number = EXIT.OUTPUT, tag = "sbx"): void {
  const r = writeAll(1, bytes);
  if (!r.ok) die(`cannot write the output: ${describe(r)}`, code, tag);
}
