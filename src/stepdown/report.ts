// The `--report` document: what was asked, what was applied, what was degraded and why, the
// seccomp filter, and the final state read back from the kernel. The valibot schema is the contract (tests parse real
// output with it); bump SCHEMA_ID on breaking changes.
import * as v from "valibot";
import { CapsReportSchema, toReport } from "../state/report.ts";
import type { ProcessState } from "../state/types.ts";
import { DEGRADATIONS, type Degraded } from "./degrade.ts";
import type { ExecOptions } from "./options.ts";
import type { PlannedStep, StepDownPlan } from "./types.ts";

export const EXEC_REPORT_SCHEMA = "sbx.exec-report/1";

const Nullable = v.nullable(v.string());

export const ExecReportSchema = v.strictObject({
  schema: v.literal(EXEC_REPORT_SCHEMA),
  asked: v.strictObject({
    user: Nullable,
    groups: Nullable,
    bounding_set: Nullable,
    caps: Nullable,
    inh_caps: Nullable,
    ambient_caps: Nullable,
    securebits: Nullable,
    no_new_privs: v.boolean(),
    preserve_fds: v.number(),
    allow_degraded: v.array(v.picklist(DEGRADATIONS)),
    seccomp: Nullable,
    seccomp_lenient: v.boolean(),
    argv: v.array(v.string()),
  }),
  applied: v.array(v.strictObject({ step: v.string(), action: v.string() })),
  degraded: v.array(v.strictObject({ name: v.picklist(DEGRADATIONS), finding_uid: v.string(), reason: v.string() })),
  /** cleared: reduced as asked; inert: kept, but harmless (not a degradation); reason: why it was kept. */
  bounding: v.strictObject({ cleared: v.boolean(), inert: v.boolean(), reason: Nullable }),
  /** The --seccomp filter: where it came from, exactly which program (sha256 of the BPF bytes), whether it is in force. */
  seccomp: v.nullable(
    v.strictObject({
      profile: v.string(),
      source: v.picklist(["builtin", "json", "bpf"]),
      sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
      instructions: v.number(),
      flags: v.number(),
      /** Syscall names --seccomp-lenient skipped. */
      warnings: v.array(v.string()),
      installed: v.boolean(),
    }),
  ),
  exec: v.strictObject({ path: v.string(), argv: v.array(v.string()) }),
  final: CapsReportSchema,
});

export type ExecReport = v.InferOutput<typeof ExecReportSchema>;

export function buildReport(
  o: ExecOptions,
  plan: StepDownPlan,
  applied: readonly PlannedStep[],
  degraded: readonly Degraded[],
  final: ProcessState,
  execPath: string,
): ExecReport {
  const boundingDegraded = degraded.find((d) => d.name === "bounding");
  return {
    schema: EXEC_REPORT_SCHEMA,
    asked: {
      user: o.user,
      groups: o.groups,
      bounding_set: o.boundingSet,
      caps: o.caps,
      inh_caps: o.inhCaps,
      ambient_caps: o.ambientCaps,
      securebits: o.securebits,
      no_new_privs: o.noNewPrivs,
      preserve_fds: o.preserveFds,
      allow_degraded: [...o.allowDegraded],
      seccomp: o.seccomp,
      seccomp_lenient: o.seccompLenient,
      argv: o.argv,
    },
    applied: applied.map((s) => ({ step: s.step, action: s.action })),
    degraded: degraded.map((d) => ({ name: d.name, finding_uid: d.findingUid, reason: d.reason })),
    bounding: {
      cleared: plan.boundingInert === null && boundingDegraded === undefined,
      inert: plan.boundingInert !== null,
      reason: plan.boundingInert ?? boundingDegraded?.reason ?? null,
    },
    seccomp: plan.seccomp && {
      profile: plan.seccomp.profile,
      source: plan.seccomp.source,
      sha256: plan.seccomp.sha256,
      instructions: plan.seccomp.instructions,
      flags: plan.seccomp.flags,
      warnings: [...plan.seccomp.warnings],
      installed: plan.seccomp.install && !degraded.some((d) => d.name === "seccomp"),
    },
    exec: { path: execPath, argv: plan.workload.argv },
    final: toReport(final, {
      lastCap: plan.lastCap,
      boundingDroppable: plan.boundingDroppable,
      boundingDropErrno: plan.boundingDropErrno,
    }),
  };
}
