// The data that flows from planning to the effect layer. A StepDownPlan is complete before the
// first privilege change: apply only executes it, verify only compares against it.
import type { CapMask } from "../caps/mask.ts";
import type { IdSet } from "../state/types.ts";
import type { Degradation, Degraded } from "./degrade.ts";
import type { Step } from "./exitCodes.ts";
import type { SeccompFilter } from "./seccomp.ts";
import type { ResolvedUser } from "../user/resolve.ts";

export interface CapTarget {
  bounding: CapMask;
  inheritable: CapMask;
  ambient: CapMask;
  /** Permitted and effective right before execve; null for a root workload (execve recomputes them). */
  permitted: CapMask | null;
  effective: CapMask | null;
}

/** One line of the plan: what happens, in order, and the exit code if it fails. */
export interface PlannedStep {
  step: Step;
  action: string;
}

/** The --seccomp filter as planned: installed last, right before execve, on the thread that execs. */
export interface PlannedSeccomp extends SeccompFilter {
  /** False when this kernel refuses it and --allow-degraded seccomp lets the workload run without. */
  install: boolean;
  /**
   * What lets the kernel take it: no_new_privs set by sbx just before ("nnp"), already set by the
   * caller ("nnp-inherited"), or CAP_SYS_ADMIN still in the effective set ("cap_sys_admin").
   */
  allowedBy: "nnp" | "nnp-inherited" | "cap_sys_admin";
}

export interface Workload {
  /** argv[0] as given; the path is looked up again as the target user (gosu rule). */
  command: string;
  argv: string[];
  env: string[];
  /** The PATH used for the lookup (the workload's own). */
  path: string;
}

export interface StepDownPlan {
  /** null: identity unchanged (no --user). */
  identity: ResolvedUser | null;
  /** Groups to set, or null to skip setgroups (unchanged identity, or already exactly right). */
  setGroups: number[] | null;
  /** True when the ids already are the target: setgroups/setres*id are skipped (idempotent). */
  idsAlreadyTarget: boolean;
  caps: CapTarget;
  /** Bits to set with PR_SET_SECUREBITS, or null to leave them. */
  securebits: number | null;
  /** PR_SET_KEEPCAPS around setresuid, because requested caps must survive it. */
  keepCaps: boolean;
  noNewPrivs: boolean;
  pdeathsig: number;
  newSession: boolean;
  workdir: string | null;
  /** Fds 3..3+keepFds-1 survive execve (LISTEN_FDS, then --preserve-fds). */
  keepFds: number;
  seccomp: PlannedSeccomp | null;
  allowDegraded: ReadonlySet<Degradation>;
  workload: Workload;
  steps: PlannedStep[];
  predicted: PredictedState;
  /** The kernel's last capability: bounding and ambient are handled and verified up to it. */
  lastCap: number;
  /** From the preflight probe; false means the drop is skipped as a degradation the operator allowed. */
  boundingDroppable: boolean;
  boundingDropErrno: string | null;
  /** Why the bounding set that cannot be dropped is harmless (kept, not degraded); null otherwise. */
  boundingInert: string | null;
  /** Degradations the planner already knows will happen (and the operator allowed). */
  degraded: Degraded[];
}

/** The workload's state right after execve, as the plan predicts it (non-setuid binary, no file caps). */
export interface PredictedState {
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  caps: {
    inheritable: CapMask;
    permitted: CapMask;
    effective: CapMask;
    bounding: CapMask;
    ambient: CapMask;
  };
  securebits: number;
  noNewPrivs: boolean;
  seccomp: "unchanged" | "filter";
}
