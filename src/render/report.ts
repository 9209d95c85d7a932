// The `--report` document: what was asked, what was applied, what was degraded and why, the
// seccomp filter, and the final state read back from the kernel. The valibot schema is the
// contract (tests parse real output with it); bump the schema id on breaking changes. `asked` is
// derived from the option table (options/exec.ts), so every option with a report key is in it.
import * as v from "valibot";
import { askedOf, EXEC_OPTIONS, type ExecOptions } from "../options/exec.ts";
import { CapsReportSchema, toReport } from "../state/report.ts";
import type { ProcessState } from "../state/types.ts";
import { toText, type ByteString } from "../text/bytes.ts";
import { DEGRADATION_FINDING, DEGRADATIONS, type Degraded } from "../stepdown/degrade.ts";
import { STEP_OF } from "../stepdown/exitCodes.ts";
import type { Op, OpOf } from "../stepdown/ops.ts";
import type { StepDownPlan } from "../stepdown/plan.ts";
import { describeOp } from "./dryRun.ts";

export const EXEC_REPORT_SCHEMA = "sbx.exec-report/1";

const Nullable = v.nullable(v.string());
const ASKED_AS = { count: v.number(), degradations: v.array(v.picklist(DEGRADATIONS)) };

const askedSchema = () =>
  v.strictObject({
    ...Object.fromEntries(
      Object.values(EXEC_OPTIONS).flatMap((d) => ("report" in d ? [[d.report, "reportAs" in d ? ASKED_AS[d.reportAs] : "value" in d ? Nullable : v.boolean()]] : [])),
    ),
    no_new_privs: v.boolean(),
    argv: v.array(v.string()),
  });

export const ExecReportSchema = v.strictObject({
  schema: v.literal(EXEC_REPORT_SCHEMA),
  asked: askedSchema(),
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
      /** What the compiler skipped or found dead (--seccomp-lenient names, shadowed rules). */
      warnings: v.array(v.string()),
      installed: v.boolean(),
    }),
  ),
  exec: v.strictObject({ path: v.string(), argv: v.array(v.string()) }),
  final: CapsReportSchema,
});

export type ExecReport = v.InferOutput<typeof ExecReportSchema>;

/** Operations the report lists as applied: what changed or verified the state. */
const APPLIED = (op: Op) => op.kind !== "lookup" && op.kind !== "renderReport";

/**
 * The report, built right before the filter is installed (after it, only the calls it was checked
 * for run): `ran` is what has run; the filter's install is included as done unless it degraded,
 * since a failing install or verification exits before the report is written.
 */
export function buildReport(o: ExecOptions, plan: StepDownPlan, ran: readonly Op[], degraded: readonly Degraded[], state: ProcessState, execPath: ByteString): ExecReport {
  const seccompOp = plan.ops.find((op): op is OpOf<"seccomp"> => op.kind === "seccomp");
  const installed = seccompOp !== undefined && !degraded.some((d) => d.name === "seccomp");
  const applied = [...ran.filter(APPLIED), ...(installed ? [seccompOp] : [])];
  // The filter count is known only when the filter lets sbx read it back after the install.
  const counted = installed && seccompOp.after.status.kind === "runs" && state.seccompFilters !== null;
  const final = installed ? { ...state, seccompMode: 2, seccompFilters: counted ? state.seccompFilters! + 1 : null } : state;
  const boundingDegraded = degraded.find((d) => d.name === "bounding");
  return {
    schema: EXEC_REPORT_SCHEMA,
    asked: askedOf(o) as ExecReport["asked"],
    applied: applied.map((op) => ({ step: STEP_OF[op.kind], action: describeOp(op, plan) })),
    degraded: degraded.map((d) => ({ name: d.name, finding_uid: DEGRADATION_FINDING[d.name], reason: d.reason })),
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
      installed,
    },
    exec: { path: toText(execPath), argv: plan.workload.argv.map(toText) },
    final: toReport(final, { lastCap: plan.lastCap, boundingDroppable: plan.boundingDroppable, boundingDropErrno: plan.boundingDropErrno }),
  };
}
