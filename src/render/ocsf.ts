// OCSF Detection Finding (class 2004) lines for refusals and degradations, modelled on the
// events OpenShell emits, so sandbox platforms can ship them to a SIEM as they are.
import { VERSION } from "../version.ts";

export interface Finding {
  /** Stable id, e.g. "bounding-set-clear-blocked". */
  uid: string;
  title: string;
  desc: string;
  /**
   * Refusals are High (4): the workload did not run. Degradations are Medium (3): it runs weaker.
   * Informational (1): a fact worth recording that weakens nothing (an inert bounding set).
   */
  severity: "informational" | "medium" | "high";
}

const SEVERITY = { informational: { id: 1, name: "Informational" }, medium: { id: 3, name: "Medium" }, high: { id: 4, name: "High" } } as const;

export function detectionFinding(f: Finding, now = Date.now()): string {
  const sev = SEVERITY[f.severity];
  return JSON.stringify({
    class_uid: 2004,
    class_name: "Detection Finding",
    category_uid: 2,
    category_name: "Findings",
    activity_id: 1,
    activity_name: "Create",
    type_uid: 200401,
    type_name: "Detection Finding: Create",
    severity_id: sev.id,
    severity: sev.name,
    confidence_id: 3,
    is_alert: f.severity !== "informational",
    time: now,
    finding_info: { uid: f.uid, title: f.title, desc: f.desc },
    message: f.desc,
    metadata: {
      version: "1.3.0",
      product: { name: "sbx", vendor_name: "sbx", version: VERSION },
      profiles: ["host"],
    },
  });
}
