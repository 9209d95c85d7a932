import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { CapSpecError, parseCapList } from "../caps/spec.ts";
import { decodeLikeCapsh, parseHex } from "../caps/mask.ts";
import { EXIT } from "../exitCodes.ts";
import { checkAbsent, checkEmpty, parseSetNames, SetNameError } from "../state/assertions.ts";
import { kernelLastCap, probeBoundingDrop } from "../state/kernel.ts";
import { parseProcStatus, StatusParseError } from "../state/procStatus.ts";
import { formatReport, toReport } from "../state/report.ts";
import { readSelfState } from "../state/self.ts";
import type { ProcessState } from "../state/types.ts";
import { die } from "./fail.ts";
import { logger } from "./log.ts";

function readPid(pidText: string): ProcessState {
  if (!/^\d+$/.test(pidText)) die(`--pid: "${pidText}" is not a process id`, EXIT.USAGE);
  const pid = Number(pidText);
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    die(`cannot read /proc/${pid}/status: ${code} (no such process, or procfs not mounted)`, EXIT.UNREADABLE);
  }
  try {
    return parseProcStatus(text, pid);
  } catch (e) {
    if (e instanceof StatusParseError) die(`/proc/${pid}/status: ${e.message}`, EXIT.UNREADABLE);
    throw e;
  }
}

export const capsCommand = defineCommand({
  meta: {
    name: "caps",
    description: "Show capabilities, ids, securebits, no_new_privs and seccomp of this or another process",
  },
  args: {
    pid: { type: "string", description: "Read another process from /proc/PID/status (default: this thread, by system calls)" },
    json: { type: "boolean", description: "Print the sbx.caps/1 JSON document" },
    decode: { type: "string", description: "Decode a hex capability mask, like capsh --decode", valueHint: "HEX" },
    absent: { type: "string", description: "Fail (exit 1) naming each of these caps still in any set", valueHint: "CAPS" },
    empty: { type: "string", description: "Fail (exit 1) unless these sets are empty: bounding,ambient,inheritable,effective,permitted or all", valueHint: "SETS" },
  },
  run({ args }) {
    if (args.decode !== undefined) {
      const m = parseHex(args.decode);
      if (m === undefined) die(`--decode: "${args.decode}" is not a hex mask of at most 64 bits`, EXIT.USAGE);
      process.stdout.write(decodeLikeCapsh(m) + "\n");
      return;
    }
    const lastCap = kernelLastCap();
    let absent = 0n;
    let emptySets: ReturnType<typeof parseSetNames> = [];
    try {
      if (args.absent !== undefined) absent = parseCapList(args.absent, lastCap);
      if (args.empty !== undefined) emptySets = parseSetNames(args.empty);
    } catch (e) {
      if (e instanceof CapSpecError || e instanceof SetNameError) die(e.message, EXIT.USAGE);
      throw e;
    }
    const self = args.pid === undefined;
    const state = self ? readSelfState(lastCap) : readPid(args.pid!);
    const probe = self ? probeBoundingDrop(lastCap) : null;
    const report = toReport(state, {
      lastCap,
      boundingDroppable: probe ? probe.droppable : null,
      boundingDropErrno: probe ? probe.errno : null,
    });
    const asserting = args.absent !== undefined || args.empty !== undefined;
    if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else if (!asserting) process.stdout.write(formatReport(report));
    const failures = [...checkAbsent(state, absent), ...checkEmpty(state, emptySets)];
    if (failures.length) {
      const log = logger("sbx caps");
      for (const f of failures) log.error(f);
      process.exitCode = EXIT.ASSERTION;
    }
  },
});
