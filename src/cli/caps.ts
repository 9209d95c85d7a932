// `sbx caps`: this thread's (or another process's) ids, capability sets, securebits,
// no_new_privs and seccomp, as text, JSON, or assertions for shell tests.
import { decodeLikeCapsh, parseHex } from "../caps/mask.ts";
import { CapSpecError, parseCapList } from "../caps/spec.ts";
import { EXIT } from "../exitCodes.ts";
import { anyText, flagName, type OptionTable } from "../options/option.ts";
import { checkAbsent, checkEmpty, parseSetNames, SetNameError } from "../state/assertions.ts";
import { kernelLastCap, probeBoundingDrop } from "../state/kernel.ts";
import { parseProcStatus, StatusParseError } from "../state/procStatus.ts";
import { formatReport, toReport } from "../state/capsReport.ts";
import { readSelfState } from "../state/self.ts";
import type { ProcessState } from "../state/types.ts";
import { readSmallFile } from "../sys/file.ts";
import { compareCapabilities, CompareInputError, configCapabilities } from "../state/oci.ts";
import { exit } from "../sys/process.ts";
import { quote } from "../text/quote.ts";
import { toText } from "../text/bytes.ts";
import { command } from "./command.ts";
import { die, log } from "./log.ts";
import { print } from "./output.ts";

function readPid(pidText: string): ProcessState {
  if (!/^\d{1,10}$/.test(pidText)) die(`--pid: ${quote(pidText)} is not a process id`, EXIT.USAGE);
  const pid = Number(pidText);
  const text = readSmallFile(`/proc/${pid}/status`);
  if (!text.ok) die(`cannot read /proc/${pid}/status: ${text.errno.name} (no such process, or procfs not mounted)`, EXIT.UNREADABLE);
  try {
    return parseProcStatus(text.value, pid);
  } catch (e) {
    if (e instanceof StatusParseError) die(`/proc/${pid}/status: ${e.message}`, EXIT.UNREADABLE);
    throw e;
  }
}

/** The capability sets of --compare's file: bad JSON or an unknown name is bad input (2), an unreadable file too. */
function readConfig(path: string) {
  const text = readSmallFile(path);
  if (!text.ok) die(`--compare: cannot read ${quote(path)}: ${text.errno.name}`, EXIT.USAGE);
  try {
    return configCapabilities(JSON.parse(toText(text.value)), path);
  } catch (e) {
    if (e instanceof CompareInputError) die(`--compare: ${e.message}`, EXIT.USAGE);
    if (e instanceof SyntaxError) die(`--compare: ${quote(path)} is not JSON: ${e.message}`, EXIT.USAGE);
    throw e;
  }
}

const OPTIONS = {
  pid: { value: "PID", schema: anyText, help: "Read another process from /proc/PID/status (default: this thread, by system calls)" },
  json: { help: "Print the sbx.caps/1 JSON document" },
  decode: { value: "HEX", schema: anyText, help: "Decode a hex capability mask, like capsh --decode" },
  absent: { value: "CAPS", schema: anyText, help: "Fail (exit 1) naming each of these caps still in any set" },
  empty: { value: "SETS", schema: anyText, help: "Fail (exit 1) unless these sets are empty: bounding,ambient,inheritable,effective,permitted or all" },
  compare: { value: "CONFIG", schema: anyText, help: "Fail (exit 1) naming each difference from an OCI config.json's process.capabilities (or a bare capabilities object)" },
} as const satisfies OptionTable;

export const capsCommand = command({
  name: "caps",
  description: "Show capabilities, ids, securebits, no_new_privs and seccomp of this or another process",
  options: OPTIONS,
  examples: ["sbx caps", "sbx caps --json --pid 1", "sbx caps --empty bounding,ambient,inheritable --absent sys_admin,net_raw", "sbx caps --compare config.json"],
  run(args) {
    if (args.decode !== undefined) {
      // capsh --decode prints and nothing else; an assertion beside it would look checked and not be.
      const other = Object.keys(OPTIONS).find((k) => k !== "decode" && args[k as keyof typeof OPTIONS] !== undefined);
      if (other) die(`--decode prints a mask and cannot be combined with --${flagName(other)}`, EXIT.USAGE);
      const m = parseHex(args.decode);
      if (m === undefined) die(`--decode: ${quote(args.decode)} is not a hex mask of at most 64 bits`, EXIT.USAGE);
      return print(decodeLikeCapsh(m) + "\n");
    }
    const lastCap = kernelLastCap();
    if (!lastCap.ok) die(lastCap.problem, EXIT.UNREADABLE);
    let absent = 0n;
    let emptySets: ReturnType<typeof parseSetNames> = [];
    const config = args.compare === undefined ? null : readConfig(args.compare);
    try {
      // An empty list (an unset variable) would assert nothing and pass: refused, as --empty "" is.
      if (args.absent !== undefined && args.absent.trim() === "") die(`--absent: no capability named in ${quote(args.absent)}`, EXIT.USAGE);
      if (args.absent !== undefined) absent = parseCapList(args.absent, lastCap.value);
      if (args.empty !== undefined) emptySets = parseSetNames(args.empty);
    } catch (e) {
      if (e instanceof CapSpecError || e instanceof SetNameError) die(e.message, EXIT.USAGE);
      throw e;
    }
    const self = args.pid === undefined;
    let state: ProcessState;
    if (self) {
      const read = readSelfState(lastCap.value);
      if (!read.ok) die(read.problem, EXIT.UNREADABLE);
      state = read.value;
    } else state = readPid(args.pid!);
    const probe = self ? probeBoundingDrop(lastCap.value) : null;
    const report = toReport(state, { lastCap: lastCap.value, boundingDroppable: probe ? probe.droppable : null, boundingDropErrno: probe ? probe.errno : null });
    const asserting = args.absent !== undefined || args.empty !== undefined || config !== null;
    if (args.json) print(JSON.stringify(report, null, 2) + "\n");
    else if (!asserting) print(formatReport(report));
    const failures = [...checkAbsent(state, absent), ...checkEmpty(state, emptySets), ...(config ? compareCapabilities(state, config, args.compare!) : [])];
    for (const f of failures) log("sbx caps").error(f);
    if (failures.length) exit(EXIT.ASSERTION);
  },
});
