// The step-down as data: planStepDown (plan.ts) returns a list of these operations, and run.ts
// executes exactly that list, in array order. Every decision is made while planning; an operation
// carries its inputs and what its failure means. The dry-run text, the report's `applied`, the exit
// codes and the messages are renderings of these operations and of what running them returned.
import type { CapMask } from "../caps/mask.ts";
import type { IdSet } from "../state/types.ts";
import type { ByteString } from "../text/bytes.ts";
import type { RlimitName } from "../limits/rlimit.ts";
import type { AccessProbe, PlannedRule } from "./landlock/types.ts";
import type { AfterInstall, SeccompFilter } from "./seccomp/types.ts";

/** A resource limit to set with prlimit(2). */
export interface LimitOp {
  name: RlimitName;
  resource: number;
  soft: bigint;
  hard: bigint;
}

/** What this thread must read back as right before execve. null fields are not checked. */
export interface Expected {
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  bounding: CapMask;
  inheritable: CapMask;
  ambient: CapMask;
  permitted: CapMask | null;
  effective: CapMask | null;
  securebits: number;
  noNewPrivs: boolean;
  /** Try setresuid(0) / setresgid(0): each must fail with EPERM (a non-root target without CAP_SETUID/CAP_SETGID). */
  regain: { uid: boolean; gid: boolean };
}

export type Op =
  /** Stdio and the kept fds lose close-on-exec; every other fd from `from` up gets it (close_range). */
  | { kind: "fds"; keep: number[]; from: number }
  | { kind: "setsid" }
  /** Raise these hard limits while CAP_SYS_RESOURCE is held (the soft limits stay as they are); `rlimits` sets the final values later. */
  | { kind: "rlimitRaise"; limits: LimitOp[] }
  /** `degradable`: --allow-degraded groups; the inherited groups then stay. */
  | { kind: "setgroups"; groups: number[]; inherited: number[]; degradable: boolean }
  | { kind: "setresgid"; gid: number }
  /** Drop each cap in order (CAP_SETPCAP last, since every drop needs it), leaving `result`. */
  | { kind: "capbsetDrop"; caps: number[]; result: CapMask; degradable: boolean }
  | { kind: "securebits"; bits: number }
  /** PR_SET_KEEPCAPS(1) so requested caps survive setresuid. */
  | { kind: "keepCaps" }
  | { kind: "setresuid"; uid: number }
  /**
   * capset (permitted/effective null: keep the current ones — a root workload gets its sets from
   * execve), keep-caps off again, then the ambient set: cleared, and each cap in `ambient` raised.
   * `ambientSet` false: the kernel has no ambient set (Linux < 4.3), nothing to clear.
   */
  | { kind: "caps"; permitted: CapMask | null; effective: CapMask | null; inheritable: CapMask; ambient: number[]; clearKeepCaps: boolean; ambientSet: boolean }
  | { kind: "pdeathsig"; signal: number }
  | { kind: "chdir"; dir: ByteString }
  | { kind: "nnp"; degradable: boolean }
  /** Read everything back (system calls, cross-checked with procfs) and compare. */
  | { kind: "verify"; expected: Expected }
  /** Look the command up with the workload's PATH, now with the target's ids (gosu's rule). */
  | { kind: "lookup"; command: ByteString; path: ByteString }
  /** Set each limit (lowering needs no privilege), then read each back with prlimit(2): a difference is a verify failure. */
  | { kind: "rlimits"; limits: LimitOp[] }
  /** umask(2), then read back: umask again, and the Umask line of /proc/thread-self/status (from `statusFd`). */
  | { kind: "umask"; mask: number; statusFd: number }
  /**
   * Probe, create the ruleset, add each rule (fds opened before any change), restrict_self, probe
   * again: each probe must now answer as planned. `degradable`: --allow-degraded landlock, a
   * refused call then leaves the workload without the ruleset, reported.
   */
  | { kind: "landlock"; handled: bigint; rules: PlannedRule[]; probes: AccessProbe[]; degradable: boolean }
  /** Build the report now: after the filter is in force only the calls it was checked for may follow. */
  | { kind: "renderReport" }
  /** Install the filter on this thread, then prove it is in force. */
  | { kind: "seccomp"; filter: SeccompFilter; degradable: boolean; statusFd: number; after: AfterInstall }
  /** Write the rendered report to `fd` (`to`: the file or fd as asked); `restoreFlags`: the fd's flags before sbx made it non-blocking. */
  | { kind: "writeReport"; fd: number; to: string; restoreFlags: number | null }
  /** Empty the signal mask, ignored signals back to default — only after sbx's last own write. */
  | { kind: "resetSignals" }
  | { kind: "execve"; argv: ByteString[]; env: ByteString[] };

export type OpKind = Op["kind"];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
