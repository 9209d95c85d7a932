// The system calls sbx itself makes once its filter is in force: prctl(PR_GET_SECCOMP) and a
// read of /proc/thread-self/status to verify the install, the write of the report, and execve.
// Before any change, each is run through the filter in the interpreter: a filter that would kill
// or trap sbx there, or deny the report or the execve, is refused, naming the call; and the
// verification then expects each call to do exactly what the filter says (a profile may deny
// prctl, and PR_GET_SECCOMP must then fail with its errno: that, too, shows the filter in force).
//
// Arguments are the ones sbx will pass; buffer addresses and the report's length are not known
// in advance and are taken as 0. The runtime's own calls in that window (memory management,
// futex, signal return) are not listed: a profile that denies those leaves no program runnable,
// and failing there still never runs the workload without its filter.
//
// The comparison after the install is filterInForce.ts; this module, which needs the interpreter
// and the syscall tables, is imported by prepare.ts only when a filter is to be installed.
import { actionOf, describeAction, errno as errnoAction, LOG, MAX_ERRNO, ALLOW } from "../seccomp/action.ts";
import { ARCHES, runningArch, type SeccompArch } from "../seccomp/arch.ts";
import { runner } from "../seccomp/interp.ts";
import { type Outcome, STATUS_BYTES } from "./filterInForce.ts";
import { Refusal } from "./refusal.ts";
import type { SeccompFilter } from "./seccomp.ts";

const PR_GET_SECCOMP = 21n;

export interface AfterInstall {
  /** prctl(PR_GET_SECCOMP): answers 2 when it runs. */
  mode: Outcome;
  /** pread64 of /proc/thread-self/status, opened before any change; null without procfs. */
  status: { fd: number; outcome: Outcome } | null;
}

interface Call {
  /** The call and why sbx makes it, for the refusal: "prctl(PR_GET_SECCOMP)", "to verify the install". */
  what: string;
  why: string;
  name: string;
  args: bigint[];
  /** The report and execve must run; the verification calls may be denied with an errno. */
  mustRun: boolean;
}

function calls(fds: { status: number | null; report: number | null }): Call[] {
  const verify = "to verify the install";
  return [
    { what: "prctl(PR_GET_SECCOMP)", why: verify, name: "prctl", args: [PR_GET_SECCOMP, 0n, 0n, 0n, 0n], mustRun: false },
    ...(fds.status === null ? [] : [{ what: `pread64(fd ${fds.status}) of /proc/thread-self/status`, why: verify, name: "pread64", args: [BigInt(fds.status), 0n, BigInt(STATUS_BYTES), 0n], mustRun: false }]),
    ...(fds.report === null ? [] : [{ what: `write(fd ${fds.report})`, why: "to write the report", name: "write", args: [BigInt(fds.report), 0n, 0n], mustRun: true }]),
    { what: "execve", why: "to start the workload", name: "execve", args: [0n, 0n, 0n], mustRun: true },
  ];
}

/** Decide every call sbx makes after installing `filter`; refuses (usage) when one cannot be made as needed. */
export function expectAfterInstall(filter: SeccompFilter, fds: { status: number | null; report: number | null }, arch: SeccompArch = runningArch()): AfterInstall {
  const decide = runner(filter.bytes);
  const abi = ARCHES[arch];
  const outcome = (c: Call): Outcome => {
    const ret = decide({ nr: abi.syscalls.get(c.name)!, arch: abi.auditArch, instructionPointer: 0n, args: c.args }).action;
    const action = actionOf(ret);
    if (action === ALLOW || action === LOG) return { kind: "runs" };
    if (action === actionOf(errnoAction(0)) && !c.mustRun) return { kind: "denied", errno: Math.min(ret & 0xffff, MAX_ERRNO) };
    throw new Refusal(
      "usage",
      `--seccomp ${filter.profile}: the filter answers ${describeAction(ret)} to ${c.what}, which sbx makes after installing it ${c.why}; ` +
        `the profile must ${c.mustRun ? "allow it" : "allow it or answer with an errno"}`,
    );
  };
  const decided = calls(fds).map((c) => ({ name: c.name, outcome: outcome(c) }));
  const of = (name: string) => decided.find((d) => d.name === name)!.outcome;
  return { mode: of("prctl"), status: fds.status === null ? null : { fd: fds.status, outcome: of("pread64") } };
}
