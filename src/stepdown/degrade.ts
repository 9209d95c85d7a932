// The names an operator can pass to --allow-degraded. Each is one protection sbx otherwise
// refuses to run without, and has a stable OCSF finding id for SIEM rules.
export const DEGRADATIONS = ["bounding", "groups", "nnp", "seccomp", "landlock"] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

export const DEGRADATION_FINDING: Record<Degradation, string> = {
  bounding: "bounding-set-clear-blocked",
  groups: "supplementary-groups-unchanged",
  nnp: "no-new-privs-unset",
  seccomp: "seccomp-filter-not-installed",
  landlock: "landlock-rights-not-enforced",
};

/** A protection that was not achieved, with the reason, for the report and OCSF events. */
export interface Degraded {
  name: Degradation;
  reason: string;
}
