// Exit codes of `sbx exec` (and gosu mode with SBX_* requests): one per step, in step order, in
// the 2xx range like systemd's exec failures, so they cannot be confused with the workload's
// own codes (after a successful execve sbx has no exit code: the workload's passes through)
// nor with 126/127 ("cannot execute" / "not found", shell convention, as gosu and env use).
// docs/exec.md documents this table; keep the two in step.
export const STEP_EXIT = {
  /** Bad option, user spec, group, capability name, conflicting options. Nothing changed. */
  usage: 200,
  /** Our own install is unsafe (setuid/setgid/file caps/AT_SECURE), or stdio cannot be opened. */
  preflight: 201,
  /** A non-root caller without CAP_SETUID/CAP_SETGID asked for another user. Nothing changed. */
  permission: 202,
  /** --report FILE cannot be opened, or the report cannot be written. */
  report: 203,
  /** Marking inherited fds close-on-exec failed. */
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
  /** The state read back from the kernel differs from the plan. */
  verify: 217,
  /** execve failed for a reason other than not found / not executable (E2BIG, EAGAIN, ENOEXEC…). */
  exec: 218,
  /** A bug in sbx; the state is unknown, so nothing ran. */
  internal: 219,
  /** The command is not executable (EACCES, a directory). */
  notExecutable: 126,
  /** The command was not found in PATH, or the path does not exist. */
  notFound: 127,
} as const;

export type Step = keyof typeof STEP_EXIT;
