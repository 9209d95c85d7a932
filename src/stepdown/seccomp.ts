// `--seccomp PROFILE` (gosu mode: SBX_SECCOMP) as planning and the effect layer see it: the compiled
// filter's shape, the capabilities it is built for, and how a refused install is worded. Light on
// purpose, since every `sbx exec` loads it: compiling the filter and probing the kernel is
// seccompFilter.ts, which prepare.ts imports only when a filter is asked for.
import type { CapMask } from "../caps/mask.ts";
import { errnoName } from "../sys/errno.ts";
import type { PredictedState } from "./types.ts";

/** The OCSF finding of a filter that was asked for and is not in force. */
export const SECCOMP_FINDING = "seccomp-filter-not-installed";

/** A compiled filter, ready to install, and what the report says about it. */
export interface SeccompFilter {
  /** As given: a built-in name or a file path. */
  profile: string;
  source: "builtin" | "json" | "bpf";
  bytes: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits to install it with. */
  flags: number;
  /** Syscall names skipped by --seccomp-lenient, one message each. */
  warnings: readonly string[];
  sha256: string;
  instructions: number;
}

export interface SeccompRequest {
  filter: SeccompFilter;
  /** Errno the install probe got; null when this kernel would take the filter. */
  refusedErrno: number | null;
}

/**
 * The capabilities Docker's includes/excludes are decided against: those the workload can hold
 * after execve — its permitted set, and without no_new_privs the bounding set too, since a
 * setuid-root or file-capability binary can raise any of those.
 */
export function workloadCaps(p: PredictedState): CapMask {
  return p.caps.permitted | (p.noNewPrivs ? 0n : p.caps.bounding);
}

/** Why seccomp(SECCOMP_SET_MODE_FILTER) said no, for the one-line message. */
export function seccompHint(errno: number, flags: number): string {
  switch (errnoName(errno)) {
    case "ENOSYS":
      return "this kernel has no seccomp (CONFIG_SECCOMP off, or Linux < 3.17)";
    case "EINVAL":
      return `this kernel takes no seccomp filters (CONFIG_SECCOMP_FILTER off)${flags ? ` or not the profile's flags (0x${flags.toString(16)})` : ""}, or an outer seccomp filter answers EINVAL`;
    case "EACCES":
      return "no_new_privs is not set and CAP_SYS_ADMIN is not held, so the kernel refuses a filter";
    case "EPERM":
      return "an outer seccomp filter (or an LSM) refuses new filters";
    default:
      return "unexpected error from seccomp(2)";
  }
}
