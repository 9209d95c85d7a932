// The doctor document and its human form.
import { findingsOf } from "./findings.ts";
import { DOCTOR_SCHEMA_ID, type DoctorFacts, type DoctorReport } from "./schema.ts";

export function toReport(facts: DoctorFacts): DoctorReport {
  return { schema: DOCTOR_SCHEMA_ID, ...facts, findings: findingsOf(facts) };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One line per finding, "level  id  text", then a count of what needs attention. */
export function formatReport(r: DoctorReport): string {
  const idWidth = Math.max(...r.findings.map((x) => x.id.length));
  const lines = r.findings.map((x) => `${x.level.padEnd(4)}  ${x.id.padEnd(idWidth)}  ${x.text}`);
  const count = (level: string) => r.findings.filter((x) => x.level === level).length;
  lines.push(`${plural(count("fail"), "failure")}, ${plural(count("warn"), "warning")}`);
  return lines.join("\n") + "\n";
}
