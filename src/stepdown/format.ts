// `--dry-run` text: the ordered steps, then the workload's predicted state after execve.
import { names, toHex } from "../caps/mask.ts";
import { decodeSecurebits, SECUREBIT_FLAGS } from "../caps/securebits.ts";
import { CAP_SET_NAMES } from "../state/types.ts";
import type { StepDownPlan } from "./types.ts";

export function formatPlan(plan: StepDownPlan, execPath: string): string {
  const p = plan.predicted;
  const ids = (x: typeof p.uid) => `real=${x.real} effective=${x.effective} saved=${x.saved} fs=${x.fs}`;
  const sb = decodeSecurebits(p.securebits);
  const flags = SECUREBIT_FLAGS.filter((f) => sb[f].set || sb[f].locked)
    .map((f) => `${f}${sb[f].locked ? "(locked)" : ""}`)
    .join(",");
  const lines = [
    "plan (nothing has been changed):",
    ...plan.steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.step.padEnd(10)} ${s.action}`),
    `workload: ${execPath} ${JSON.stringify(plan.workload.argv)}`,
    "predicted state after execve (binary without file capabilities or setuid bit):",
    `  uid: ${ids(p.uid)}`,
    `  gid: ${ids(p.gid)}`,
    `  groups: ${p.groups.length ? p.groups.join(" ") : "[none]"}`,
    ...CAP_SET_NAMES.map((n) => `  ${(n + ":").padEnd(13)}${toHex(p.caps[n])} = ${names(p.caps[n]).join(",") || "[none]"}`),
    `  securebits:  0x${p.securebits.toString(16)}${flags ? ` (${flags})` : ""}`,
    `  no_new_privs: ${p.noNewPrivs ? 1 : 0}`,
    `  seccomp: ${p.seccomp === "filter" ? `filter "${plan.seccomp!.profile}" installed by sbx (mode 2, on top of the caller's)` : "unchanged from the caller"}`,
    ...(plan.boundingInert ? [`  bounding set kept, inert (not degraded): ${plan.boundingInert}`] : []),
  ];
  return lines.join("\n") + "\n";
}
