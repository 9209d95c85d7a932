// The names an operator can pass to --allow-degraded. Each is one protection sbx otherwise
// refuses to run without.
export const DEGRADATIONS = ["bounding", "groups", "nnp", "seccomp"] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

export class DegradeListError extends Error {}

export function parseDegradations(text: string): Set<Degradation> {
  const out = new Set<Degradation>();
  for (const raw of text.split(",").map((s) => s.trim().toLowerCase())) {
    if (!(DEGRADATIONS as readonly string[]).includes(raw)) {
      throw new DegradeListError(
        `--allow-degraded: unknown name "${raw}" (valid: ${DEGRADATIONS.join(", ")})`,
      );
    }
    out.add(raw as Degradation);
  }
  return out;
}

/** A protection that was not achieved, with the reason, for the report and OCSF events. */
export interface Degraded {
  name: Degradation;
  /** Stable id for SIEM rules, e.g. "bounding-set-clear-blocked". */
  findingUid: string;
  reason: string;
}
