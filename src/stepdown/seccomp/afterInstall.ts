// The system calls sbx itself makes once its filter is in force: prctl(PR_GET_SECCOMP) and a
// pread64 of /proc/thread-self/status to verify the install, the report's write (and restoring the
// report fd's flags), resetting the signal mask and dispositions, and execve. Before any change,
// each is run through the filter in the interpreter: a filter that would kill or trap sbx there,
// or deny a call that must run, is refused, naming the call; and the verification then expects
// each call to do exactly what the filter says (a profile may deny prctl, and PR_GET_SECCOMP must
// then fail with its errno: that, too, shows the filter in force).
//
// Arguments are the ones sbx will pass; buffer addresses and the report's length are not known
// in advance and are taken as 0. The runtime's own calls in that window (memory management,
// futex, signal return) are not listed: a profile that denies those leaves no program runnable,
// and failing there still never runs the workload without its filter.
import { ALLOW, actionOf, describeAction, errno as errnoAction, LOG, MAX_ERRNO } from "../../seccomp/action.ts";
import { ARCHES, runningArch, type SeccompArch } from "../../seccomp/arch.ts";
import { runner } from "../../seccomp/interp.ts";
import { Refusal } from "../refusal.ts";
import { STATUS_BYTES } from "./inForce.ts";
import type { AfterInstall, Outcome, SeccompFilter } from "./types.ts";

const PR_GET_SECCOMP = 21n;
const F_SETFL = 4n;
const SIG_SETMASK = 2n;
const SIGSET_BYTES = 8n;

type Need = "outcome" | "mustRun" | "mayFail";

export interface Call {
  /** The call and why sbx makes it, for the refusal: "prctl(PR_GET_SECCOMP)", "to verify the install". */
  what: string;
  why: string;
  name: string;
  args: bigint[];
  /** outcome: may be denied with an errno (its outcome is then expected); mustRun: must be allowed; mayFail: any errno is fine. */
  need: Need;
}

/** The calls sbx makes after the install, in order, with the arguments it will pass. */
export function afterInstallCalls(fds: { status: number; report: number | null; restoresFlags: boolean }): Call[] {
  const verify = "to verify the install";
  const signals = "to reset signal dispositions for the workload";
  const out: Call[] = [
    { what: "prctl(PR_GET_SECCOMP)", why: verify, name: "prctl", args: [PR_GET_SECCOMP, 0n, 0n, 0n, 0n], need: "outcome" },
    { what: `pread64(fd ${fds.status}) of /proc/thread-self/status`, why: verify, name: "pread64", args: [BigInt(fds.status), 0n, BigInt(STATUS_BYTES), 0n], need: "outcome" },
  ];
  if (fds.report !== null) {
    out.push({ what: `write(fd ${fds.report})`, why: "to write the report", name: "write", args: [BigInt(fds.report), 0n, 0n], need: "mustRun" });
    if (fds.restoresFlags) out.push({ what: `fcntl(fd ${fds.report}, F_SETFL)`, why: "to restore the report fd's flags", name: "fcntl", args: [BigInt(fds.report), F_SETFL, 0n], need: "mayFail" });
  }
  out.push({ what: "rt_sigprocmask(SIG_SETMASK)", why: signals, name: "rt_sigprocmask", args: [SIG_SETMASK, 0n, 0n, SIGSET_BYTES], need: "mustRun" });
  for (let sig = 1n; sig <= 64n; sig++) {
    if (sig === 9n || sig === 19n || sig === 32n || sig === 33n) continue; // never queried, or refused by libc itself
    out.push({ what: `rt_sigaction(${sig})`, why: signals, name: "rt_sigaction", args: [sig, 0n, 0n, SIGSET_BYTES], need: "mustRun" });
  }
  out.push({ what: "execve", why: "to start the workload", name: "execve", args: [0n, 0n, 0n], need: "mustRun" });
  return out;
}

/** Decide every call sbx makes after installing `filter`; refuses (usage) when one cannot be made as needed. */
export function expectAfterInstall(filter: SeccompFilter, fds: { status: number; report: number | null; restoresFlags: boolean }, shown = "--seccomp", arch: SeccompArch = runningArch()): AfterInstall {
  const decide = runner(filter.bytes);
  const abi = ARCHES[arch];
  const outcome = (c: Call): Outcome => {
    const ret = decide({ nr: abi.syscalls.get(c.name)!, arch: abi.auditArch, instructionPointer: 0n, args: c.args }).action;
    const action = actionOf(ret);
    if (action === ALLOW || action === LOG) return { kind: "runs" };
    if (action === actionOf(errnoAction(0)) && c.need !== "mustRun") return { kind: "denied", errno: Math.min(ret & 0xffff, MAX_ERRNO) };
    throw new Refusal(
      "usage",
      `${shown} ${filter.profile}: the filter answers ${describeAction(ret)} to ${c.what}, which sbx makes after installing it ${c.why}; ` +
        `the profile must ${c.need === "mustRun" ? "allow it" : "allow it or answer with an errno"}`,
    );
  };
  const decided = afterInstallCalls(fds).map((c) => ({ name: c.name, outcome: outcome(c) }));
  const of = (name: string) => decided.find((d) => d.name === name)!.outcome;
  return { mode: of("prctl"), status: of("pread64") };
}
