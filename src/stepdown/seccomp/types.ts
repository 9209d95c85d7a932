// `--seccomp PROFILE` (gosu mode: SBX_SECCOMP) as planning and the runner see it. Light on purpose:
// compiling the filter, probing the kernel and deciding sbx's calls after the install need the
// compiler and interpreter, which prepare.ts in this folder loads only when a filter is asked for.
import type { CapMask } from "../../caps/mask.ts";
import type { Errno } from "../../sys/errno.ts";
import type { PredictedState } from "../execve.ts";

/** A compiled filter, ready to install, and what the report says about it. */
export interface SeccompFilter {
  /** As given: a built-in name or a file path (text, for messages and the report). */
  profile: string;
  source: "builtin" | "json" | "bpf";
  bytes: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits to install it with. */
  flags: number;
  /** One message per thing the compiler skipped or found dead. */
  warnings: readonly string[];
  sha256: string;
  instructions: number;
}

/** What one call does under the filter: runs, or is answered with an errno (0: returns 0 unrun). */
export type Outcome = { kind: "runs" } | { kind: "denied"; errno: number };

/** What sbx's own calls after the install do under the filter, decided in the interpreter before any change. */
export interface AfterInstall {
  /** prctl(PR_GET_SECCOMP): answers 2 when it runs. */
  mode: Outcome;
  /** pread64 of the status fd. */
  status: Outcome;
}

export interface SeccompRequest {
  filter: SeccompFilter;
  /** Errno the install probe got; null when this kernel would take the filter. */
  refusedErrno: Errno | null;
  after: AfterInstall;
  /** When the filter denies Landlock's calls: which answer, by which profile rule (for the plan's notes and the report); null when it allows them. */
  landlock?: string | null;
}

/**
 * The capabilities Docker's includes/excludes are decided against: those the workload can hold
 * after execve — its permitted set, and without no_new_privs the bounding set too, since a
 * setuid-root or file-capability binary can raise any of those.
 */
export function workloadCaps(p: PredictedState): CapMask {
  return p.caps.permitted | (p.noNewPrivs ? 0n : p.caps.bounding);
}
