// Exit codes of `sbx exec` (and gosu mode's SBX_* requests print through its own code 1), one per
// step, in the 2xx range like systemd's exec failures, so they cannot be confused with the
// workload's own codes (after a successful execve sbx has no exit code: the workload's passes
// through) nor with 126/127 ("cannot execute" / "not found", shell convention, as gosu and env use).
// The numbers are a stable interface, not the order the steps run in (run order: ops.ts and
// plan.ts). docs/exec.md documents this table; keep the two in step.
import type { OpKind } from "./ops.ts";

export const STEP_EXIT = {
  /** Bad option, user spec, group, capability name, conflicting options. Nothing changed. */
  usage: 200,
  /** Our own install is unsafe, stdio cannot be opened, or this thread's state cannot be read or trusted. */
  preflight: 201,
  /** A non-root caller without CAP_SETUID/CAP_SETGID asked for another user. Nothing changed. */
  permission: 202,
  /** --report cannot be opened or written (or the --dry-run output). */
  report: 203,
  /** Marking inherited fds close-on-exec failed, or a kept fd is not one the caller passed. */
  fds: 204,
  /** Resetting the signal mask or ignored signals failed. */
  signals: 205,
  /** setsid for --new-session failed. */
  session: 206,
  /** setgroups failed (and `groups` is not allowed to degrade). */
  groups: 207,
  /** setresgid failed. */
  gid: 208,
  /** The bounding set cannot be reduced as asked (and `bounding` is not allowed to degrade). */
  bounding: 209,
  /** Setting securebits or keep-caps failed. */
  securebits: 210,
  /** setresuid failed. */
  uid: 211,
  /** capset or raising an ambient capability failed. */
  caps: 212,
  /** PR_SET_PDEATHSIG failed. */
  pdeathsig: 213,
  /** chdir to --workdir failed. */
  workdir: 214,
  /** PR_SET_NO_NEW_PRIVS failed (and `nnp` is not allowed to degrade). */
  nnp: 215,
  /** Installing the seccomp filter failed. */
  seccomp: 216,
  /** The state read back from the kernel differs from the plan, or the filter is not in force. */
  verify: 217,
  /** execve failed for a reason other than not found / not executable (E2BIG, EAGAIN, ENOEXEC…). */
  exec: 218,
  /** A bug in sbx; the state is unknown, so nothing ran. */
  internal: 219,
  // Added after 219, so that no earlier code changes meaning.
  /** A resource limit cannot be set as asked: refused before any change (a hard limit above the current one without CAP_SYS_RESOURCE, nofile above fs.nr_open), or prlimit(2) failed. */
  rlimits: 220,
  /** umask(2) failed (an outer seccomp filter). */
  umask: 221,
  /** Landlock cannot be enforced as asked: the kernel lacks it or some of the rights (refused before any change unless --allow-degraded landlock), or creating, filling or enforcing the ruleset failed. */
  landlock: 222,
  /** The command is not executable (EACCES, a directory). */
  notExecutable: 126,
  /** The command was not found in PATH, or the path does not exist. */
  notFound: 127,
} as const;

export type Step = keyof typeof STEP_EXIT;

/** The step (and so the exit code and the report's label) each operation belongs to. */
export const STEP_OF: Record<OpKind, Step> = {
  fds: "fds",
  setsid: "session",
  rlimitRaise: "rlimits",
  setgroups: "groups",
  setresgid: "gid",
  capbsetDrop: "bounding",
  securebits: "securebits",
  keepCaps: "securebits",
  setresuid: "uid",
  caps: "caps",
  pdeathsig: "pdeathsig",
  chdir: "workdir",
  nnp: "nnp",
  verify: "verify",
  lookup: "exec",
  rlimits: "rlimits",
  umask: "umask",
  landlock: "landlock",
  renderReport: "report",
  seccomp: "seccomp",
  writeReport: "report",
  resetSignals: "signals",
  execve: "exec",
};
