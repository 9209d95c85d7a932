// The `--report` document: what was asked, what was applied, what was degraded and why, the
// seccomp filter, the state read back from the kernel right before execve, and — apart from it,
// and named as a prediction — the workload's state after execve. The valibot schema is the
// contract (tests parse real output with it); bump the schema id on breaking changes. `asked` is
// derived from the option table (options/exec.ts), so every option with a report key is in it.
import * as v from "valibot";
import { askedOf, EXEC_OPTIONS, type ExecOptions } from "../options/exec.ts";
import { CapsReportSchema, type KernelFacts, toReport } from "../state/report.ts";
import type { ProcessState } from "../state/types.ts";
import { toText, type ByteString } from "../text/bytes.ts";
import { DEGRADATION_FINDING, DEGRADATIONS, type Degraded } from "../stepdown/degrade.ts";
import { STEP_OF } from "../stepdown/exitCodes.ts";
import type { Op, OpOf } from "../stepdown/ops.ts";
import type { StepDownPlan } from "../stepdown/plan.ts";
import { afterExecve } from "../stepdown/execve.ts";
import { describeOp } from "./dryRun.ts";
import { rightNames } from "../landlock/access.ts";
import { UNLIMITED, umaskText } from "../limits/rlimit.ts";
import type { Observed } from "../stepdown/run.ts";

/** A limit as OCI's config.json has it, a number, or "unlimited" (JSON numbers cannot hold 2^64-1 exactly; nor any value past 2^53, a decimal string then). */
const limitJson = (v: bigint): number | string => (v === UNLIMITED ? "unlimited" : v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v));
const Limit = v.union([v.number(), v.string()]);

export const EXEC_REPORT_SCHEMA = "sbx.exec-report/2";

/** after_execve's basis: sbx cannot read the workload's state, so the block says what it rests on. */
export const AFTER_EXECVE_BASIS = "predicted from read_back by the kernel's execve rules for a binary without file capabilities or setuid/setgid bits; not read back";

const caps1 = CapsReportSchema.entries;
/** The workload's state after execve, in read_back's encoding, field for field. */
const AfterExecveSchema = v.strictObject({
  basis: v.literal(AFTER_EXECVE_BASIS),
  uid: caps1.uid,
  gid: caps1.gid,
  groups: caps1.groups,
  caps: caps1.caps,
  securebits: v.nonNullable(caps1.securebits),
  no_new_privs: caps1.no_new_privs,
  seccomp: caps1.seccomp,
});

const Nullable = v.nullable(v.string());
const ASKED_AS = { count: v.number(), degradations: v.array(v.picklist(DEGRADATIONS)), list: v.array(v.string()) };

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
  /**
   * cleared: reduced as asked; inert: kept, but harmless (not a degradation); reason: why it was
   * kept; probe_before_changes: what PR_CAPBSET_DROP(last_cap+1) answered in preflight, before any
   * change (droppable, or the errno that refused it).
   */
  bounding: v.strictObject({
    cleared: v.boolean(),
    inert: v.boolean(),
    reason: Nullable,
    probe_before_changes: v.strictObject({ droppable: v.boolean(), errno: Nullable }),
  }),
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
  /** --rlimit: each limit as prlimit(2) read it back after setting it, OCI-shaped (process.rlimits). */
  rlimits: v.array(v.strictObject({ type: v.string(), soft: Limit, hard: Limit })),
  /** --umask: the mask read back, octal text; null without --umask. */
  umask: v.nullable(v.string()),
  /**
   * --landlock-access: the ruleset. handled: the rights denied unless a rule allows them;
   * not_enforced: rights asked for that this kernel lacks (--allow-degraded landlock); enforced:
   * restrict_self succeeded; verification: the probes made as the target user before and after,
   * or why the ruleset could not be shown in force (Landlock lists no ruleset back).
   */
  landlock: v.nullable(
    v.strictObject({
      abi: v.nullable(v.number()),
      handled: v.array(v.string()),
      not_enforced: v.array(v.string()),
      rules: v.array(v.strictObject({ rule: v.string(), rights: v.array(v.string()) })),
      enforced: v.boolean(),
      /** With --seccomp: what the filter answers Landlock's calls when it denies them to the workload (naming the profile rule); null when it allows them. */
      under_filter: Nullable,
      verification: v.strictObject({
        method: v.picklist(["probes", "none"]),
        verified: v.boolean(),
        probes: v.array(v.strictObject({ right: v.string(), target: v.string(), expect: v.picklist(["allowed", "denied"]), before: v.string(), after: v.nullable(v.string()) })),
        note: Nullable,
      }),
    }),
  ),
  /**
   * This thread right before execve, as verification read it back (sbx.caps/1), with the filter
   * installed right after the report is built (its install is verified, or nothing runs; an install
   * that degrades rebuilds the report without it).
   * kernel.bounding_set_droppable and bounding_drop_errno are null: nothing probes them there (see buildReport).
   */
  read_back: CapsReportSchema,
  /** The workload's state after execve: a prediction from read_back, never read back (basis says so). */
  after_execve: AfterExecveSchema,
});

export type ExecReport = v.InferOutput<typeof ExecReportSchema>;

/** Operations the report lists as applied: what changed or verified the state. */
const APPLIED = (op: Op) => op.kind !== "lookup" && op.kind !== "renderReport";

/**
 * The report, built right before the filter is installed (after it, only the calls it was checked
 * for run): `ran` is what has run; the filter's install is included as done unless it degraded,
 * since a failing install or verification exits before the report is written.
 */
export function buildReport(o: ExecOptions, plan: StepDownPlan, ran: readonly Op[], degraded: readonly Degraded[], state: ProcessState, execPath: ByteString, observed: Observed): ExecReport {
  const seccompOp = plan.ops.find((op): op is OpOf<"seccomp"> => op.kind === "seccomp");
  const installed = seccompOp !== undefined && !degraded.some((d) => d.name === "seccomp");
  const applied = [...ran.filter(APPLIED), ...(installed ? [seccompOp] : [])];
  // The filter count is known only when the filter lets sbx read it back after the install.
  const counted = installed && seccompOp.after.status.kind === "runs" && state.seccompFilters !== null;
  const readBack = installed ? { ...state, seccompMode: 2, seccompFilters: counted ? state.seccompFilters! + 1 : null } : state;
  // The last cap, and no droppability. The only PR_CAPBSET_DROP probe is preflight's, before any
  // change (bounding.probe_before_changes); probing again here would add a call that verification
  // does not cross-check, answered for sbx's thread rather than the workload: a root target still
  // holds CAP_SETPCAP until execve recomputes its sets.
  const kernel = { lastCap: plan.lastCap, boundingDroppable: null, boundingDropErrno: null };
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
      probe_before_changes: { droppable: plan.boundingDroppable, errno: plan.boundingDropErrno },
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
    rlimits: observed.rlimits.map((l) => ({ type: l.name, soft: limitJson(l.soft), hard: limitJson(l.hard) })),
    umask: observed.umask === null ? null : umaskText(observed.umask),
    landlock: plan.landlock && landlockReport(plan, observed),
    read_back: toReport(readBack, kernel),
    after_execve: afterExecveReport(readBack, kernel),
  };
}

/** afterExecve of the state read back, in read_back's encoding (toReport), with the fields a prediction has. */
function afterExecveReport(readBack: ProcessState, kernel: KernelFacts): ExecReport["after_execve"] {
  // PR_GET_SECUREBITS answered for this thread, so they are never unknown here.
  if (readBack.securebits === null) throw new Error("the state read back has no securebits");
  const { uid, gid, groups, caps, securebits, no_new_privs, seccomp } = toReport({ ...readBack, ...afterExecve({ ...readBack, securebits: readBack.securebits }) }, kernel);
  return { basis: AFTER_EXECVE_BASIS, uid, gid, groups, caps, securebits: securebits!, no_new_privs, seccomp };
}

function landlockReport(plan: StepDownPlan, observed: Observed): NonNullable<ExecReport["landlock"]> {
  const l = plan.landlock!;
  const ran = observed.landlock;
  const enforced = ran?.enforced ?? false;
  const probes = (ran?.probes ?? []).map((p) => ({ right: p.probe.right, target: p.probe.target, expect: p.probe.expect, before: p.before, after: p.after }));
  // Only a denial shows the ruleset in force; an allowed probe shows that the rules do not deny more than planned.
  const conclusive = (ran?.probes ?? []).filter((p) => p.conclusive && p.probe.expect === "denied").length;
  const note = !enforced
    ? l.handled === 0n ? "no ruleset: this kernel cannot enforce any of the rights asked for" : "no ruleset: the kernel refused it (see degraded)"
    : l.unverifiable ?? (conclusive === 0 ? "every probe the ruleset denies failed for the target user before the ruleset too, so none can show it in force; that it is rests on the kernel accepting landlock_restrict_self" : null);
  return {
    abi: l.abi,
    handled: rightNames(l.handled),
    not_enforced: rightNames(l.notEnforced | (enforced ? 0n : l.handled)),
    rules: l.rules.map((r) => ({ rule: r.text, rights: rightNames(r.access) })),
    enforced,
    under_filter: l.underFilter,
    verification: { method: probes.length ? "probes" : "none", verified: enforced && conclusive > 0, probes, note },
  };
}
