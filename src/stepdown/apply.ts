// The effect layer: executes a StepDownPlan on this thread, verifies, and execs. Never returns.
// From the first change on, every failure goes to voice.fail (one line on fd 2, then _exit with
// the step's code); a bug that throws is caught at the bottom and _exits too, so half-dropped
// credentials can never flow back into ordinary control flow.
import { capBit, capsOf, type CapMask, names, toHex } from "../caps/mask.ts";
import { capName } from "../caps/names.ts";
import { capget, capset } from "../sys/capset.ts";
import { setgroups, setresgid, setresuid } from "../sys/creds.ts";
import { EPERM, errnoName } from "../sys/errno.ts";
import { preadFromStart } from "../sys/fd.ts";
import {
  ambientClearAll, ambientRaise, capbsetDrop, capbsetRead, getSeccompMode, setKeepCaps, setNoNewPrivs, setPdeathsig, setSecurebits,
} from "../sys/prctl.ts";
import { chdir, cloexecFrom, isOpen, prepareExecve, resetSignals, setCloexec, setsid, writeFd } from "../sys/process.ts";
import { describe, ok, type SysResult } from "../sys/result.ts";
import { installFilter } from "../sys/seccomp.ts";
import type { ProcessState } from "../state/types.ts";
import { lookPath } from "../user/lookPath.ts";
import type { AfterInstall } from "./afterInstall.ts";
import type { Degraded } from "./degrade.ts";
import type { Step } from "./exitCodes.ts";
import { probeFile } from "./fileProbe.ts";
import { filterCount, outcomeProblem, STATUS_BYTES, statusProblems } from "./filterInForce.ts";
import { capsHint, execHint, groupsHint, groupsText, idHint } from "./hints.ts";
import { SECCOMP_FINDING, seccompHint } from "./seccomp.ts";
import { signalName } from "./signals.ts";
import type { PlannedSeccomp, PlannedStep, StepDownPlan } from "./types.ts";
import { type Achieved, expectedNow, verifyNow } from "./verify.ts";
import type { Voice } from "./voice.ts";

const CAP_SETPCAP = 8;

/** Called after verification with the final state; returns the report text or null. */
export type ReportWriter = (final: ProcessState, applied: readonly PlannedStep[], degraded: readonly Degraded[], execPath: string) => { fd: number; text: string } | null;

export interface StepDownContext {
  plan: StepDownPlan;
  /** The caller's state the plan was made from (preflight). */
  before: ProcessState;
  voice: Voice;
  report: ReportWriter;
  /** From prepare: what sbx's calls after the seccomp install do under the filter. */
  afterInstall: AfterInstall | null;
}

const capList = (m: CapMask) => names(m).join(",") || "none";

export function runStepDown(ctx: StepDownContext): never {
  try {
    return steps(ctx);
  } catch (e) {
    return ctx.voice.fail({
      kind: "step",
      step: "internal",
      message: `internal error, nothing was executed: ${e instanceof Error ? e.message : String(e)}`,
      findingUid: null,
      errno: null,
    });
  }
}

function steps({ plan, before, voice, report, afterInstall }: StepDownContext): never {
  const applied: PlannedStep[] = [];
  // Degradations the planner foresaw (and the operator allowed) are announced before any change.
  const degraded: Degraded[] = [...plan.degraded];
  for (const d of degraded) voice.degraded(d);
  const done = (step: Step, action: string) => applied.push({ step, action });
  const fail = (step: Step, r: { call: string; errno: number }, cause: string, findingUid: string | null = null): never =>
    voice.fail({ kind: "step", step, message: `${describe(r)}: ${cause}`, findingUid, errno: r.errno });
  const must = <T>(step: Step, r: SysResult<T>, cause: (errno: number) => string): T =>
    r.ok ? r.value : fail(step, r, cause(r.errno));
  const degrade = (d: Degraded) => {
    degraded.push(d);
    voice.degraded(d);
  };
  const got: Achieved = { groupsSet: true, residualBounding: null, noNewPrivsSet: true };

  // fds: stdio and preserved fds stay open across execve, everything else closes there.
  for (let fd = 0; fd < 3 + plan.keepFds; fd++) {
    if (isOpen(fd)) must("fds", setCloexec(fd, false), () => "cannot clear close-on-exec");
  }
  must("fds", cloexecFrom(3 + plan.keepFds), () => "close_range needs Linux 5.11; cannot mark inherited fds close-on-exec");
  done("fds", `fds from ${3 + plan.keepFds} up marked close-on-exec`);

  must("signals", resetSignals(), () => "cannot reset signal dispositions");
  done("signals", "signal mask emptied, ignored signals reset to default");

  if (plan.newSession) {
    must("session", setsid(), () => "already a process group leader (run sbx from a shell's exec, not as a job leader)");
    done("session", "setsid()");
  }

  const id = plan.identity;
  if (id && plan.setGroups) {
    const r = setgroups(plan.setGroups);
    if (r.ok) done("groups", `setgroups([${plan.setGroups.join(",")}])`);
    else if (plan.allowDegraded.has("groups")) {
      got.groupsSet = false;
      degrade({
        name: "groups",
        findingUid: "supplementary-groups-unchanged",
        reason: `${describe(r)}: ${groupsHint(r.errno)}; the inherited groups ${groupsText(before.groups)} stay instead of [${plan.setGroups.join(",")}]`,
      });
    } else {
      fail("groups", r, `${groupsHint(r.errno)}; the inherited groups ${groupsText(before.groups)} would remain instead of [${plan.setGroups.join(",")}]; accept with --allow-degraded groups`, "supplementary-groups-unchanged");
    }
  }
  if (id && !plan.idsAlreadyTarget) {
    must("gid", setresgid(id.gid), (e) => idHint("gid", e));
    done("gid", `setresgid(${id.gid})`);
  }

  dropBounding(plan, before, got, { done, fail, degrade });

  if (plan.securebits !== null) {
    // CAP_SETPCAP and locked bits were checked while planning, so the likely cause is what remains.
    must("securebits", setSecurebits(plan.securebits), () => "a bit this kernel does not know (exec_restrict_file/exec_deny_interactive need Linux 6.14), or an LSM/seccomp filter refuses it");
    done("securebits", `PR_SET_SECUREBITS(0x${plan.securebits.toString(16)})`);
  }
  if (plan.keepCaps) {
    must("securebits", setKeepCaps(true), () => "keep_caps is locked by securebits");
    done("securebits", "PR_SET_KEEPCAPS(1)");
  }
  if (id && !plan.idsAlreadyTarget) {
    must("uid", setresuid(id.uid), (e) => idHint("uid", e));
    done("uid", `setresuid(${id.uid})`);
  }

  applyCaps(plan, { must, done });

  if (plan.pdeathsig) {
    must("pdeathsig", setPdeathsig(plan.pdeathsig), () => "invalid signal");
    done("pdeathsig", `PR_SET_PDEATHSIG(${signalName(plan.pdeathsig)})`);
  }
  if (plan.workdir) {
    must("workdir", chdir(plan.workdir), (e) => `the target user cannot enter ${plan.workdir} (${errnoName(e) === "EACCES" ? "no search permission" : "missing or not a directory"})`);
    done("workdir", `chdir(${plan.workdir})`);
  }
  if (plan.noNewPrivs) {
    const r = setNoNewPrivs();
    if (r.ok) done("nnp", "PR_SET_NO_NEW_PRIVS(1)");
    else if (plan.allowDegraded.has("nnp")) {
      got.noNewPrivsSet = false;
      degrade({ name: "nnp", findingUid: "no-new-privs-unset", reason: `${describe(r)}: this kernel refuses no_new_privs (Linux < 3.5?)` });
    } else fail("nnp", r, "this kernel refuses no_new_privs (Linux < 3.5?); accept with --allow-degraded nnp", "no-new-privs-unset");
  }

  const want = expectedNow(plan, before, got);
  let verified: ReturnType<typeof verifyNow>;
  try {
    verified = verifyNow(want, plan.lastCap);
  } catch (e) {
    return voice.fail({ kind: "step", step: "verify", message: `cannot read the state back: ${(e as Error).message}`, findingUid: "stepdown-verify-failed", errno: null });
  }
  if (verified.problems.length) {
    return voice.fail({ kind: "step", step: "verify", message: `state differs from the plan, not executing: ${verified.problems.join("; ")}`, findingUid: "stepdown-verify-failed", errno: null });
  }
  done("verify", "ids, groups, capabilities, securebits and no_new_privs read back as planned");

  // gosu's rule: look the command up after the switch, with the workload's PATH and permissions.
  const found = lookPath(plan.workload.command, plan.workload.path, probeFile);
  if (found.kind !== "found") return voice.fail({ kind: "lookup", lookup: found });
  const exec = prepareExecve(found.path, plan.workload.argv, plan.workload.env);

  const writeReport = (final: ProcessState, appliedSteps: readonly PlannedStep[]) => {
    const out = report(final, appliedSteps, degraded, found.path);
    return out && { fd: out.fd, bytes: Buffer.from(out.text, "utf8") };
  };
  let out: Report;
  if (plan.seccomp?.install) {
    // prepare decides these whenever it plans an install; without them nothing may be installed blind.
    if (!afterInstall) throw new Error("a seccomp install was planned without deciding sbx's own calls after it");
    out = installSeccomp(plan.seccomp, afterInstall, verified.state, { plan, voice, applied, writeReport, fail, degrade });
  } else out = writeReport(verified.state, applied);
  if (out) must("report", writeFd(out.fd, out.bytes), () => "cannot write the report");

  const r = exec();
  return voice.fail({ kind: "exec", path: found.path, errno: r.ok ? 0 : r.errno, message: r.ok ? "" : `${describe(r)}: ${execHint(r.errno, id ? id.uid : before.uid.effective)}` });
}

type Report = { fd: number; bytes: Uint8Array } | null;

interface SeccompEffects extends Pick<Effects, "fail" | "degrade"> {
  plan: StepDownPlan;
  voice: Voice;
  applied: readonly PlannedStep[];
  writeReport: (final: ProcessState, applied: readonly PlannedStep[]) => Report;
}

/**
 * The last change: install the filter on this thread, then verify it is in force. The report is
 * built first, for the state verification must then find, so that once the filter is in force
 * sbx makes only the calls it was checked for (afterInstall.ts): prctl, pread64, write, execve.
 * A refused install is fatal, or with --allow-degraded seccomp a reported degradation.
 */
function installSeccomp(sc: PlannedSeccomp, expect: AfterInstall, state: ProcessState, fx: SeccompEffects): Report {
  const verifyFailed = (message: string): never =>
    fx.voice.fail({ kind: "step", step: "verify", message, findingUid: "stepdown-verify-failed", errno: null });
  const buf = new Uint8Array(STATUS_BYTES);
  const readStatus = (fd: number): SysResult<string> => {
    const n = preadFromStart(fd, buf);
    return n.ok ? ok(Buffer.from(buf.subarray(0, n.value)).toString("utf8")) : n;
  };
  let filtersBefore: number | null = null;
  if (expect.status) {
    const text = readStatus(expect.status.fd);
    if (!text.ok) return verifyFailed(`cannot count the seccomp filters before the install: ${describe(text)} of /proc/thread-self/status`);
    filtersBefore = filterCount(text.value);
  }
  const countVerified = filtersBefore !== null && expect.status?.outcome.kind === "runs";
  const final = { ...state, seccompMode: 2, seccompFilters: countVerified ? filtersBefore! + 1 : null };
  const installed = { step: "seccomp" as const, action: `filter "${sc.profile}" installed (${sc.instructions} instructions, sha256 ${sc.sha256}) and verified in force` };
  const prebuilt = fx.writeReport(final, [...fx.applied, installed]);

  const r = installFilter(sc.bytes, sc.flags);
  if (!r.ok) {
    const why = seccompHint(r.errno, sc.flags);
    if (!fx.plan.allowDegraded.has("seccomp")) {
      fx.fail("seccomp", r, `${why}; the workload would run without the "${sc.profile}" filter — accept with --allow-degraded seccomp`, SECCOMP_FINDING);
    }
    fx.degrade({ name: "seccomp", findingUid: SECCOMP_FINDING, reason: `${describe(r)}: ${why}; running without the "${sc.profile}" filter (--allow-degraded seccomp)` });
    return fx.writeReport(state, fx.applied); // no filter in force: anything may follow
  }
  const mode = getSeccompMode();
  const problems = [outcomeProblem("prctl(PR_GET_SECCOMP)", expect.mode, mode)];
  if (expect.mode.kind === "runs" && mode.ok && mode.value !== 2) problems.push(`prctl(PR_GET_SECCOMP) answers ${mode.value}, expected 2 (filter)`);
  if (expect.status) {
    const text = readStatus(expect.status.fd);
    problems.push(outcomeProblem("pread64 of /proc/thread-self/status", expect.status.outcome, text.ok ? ok(text.value.length) : text));
    if (text.ok && expect.status.outcome.kind === "runs") problems.push(...statusProblems(text.value, filtersBefore));
  }
  const differs = problems.filter((p): p is string => p !== null);
  if (differs.length) return verifyFailed(`the seccomp filter "${sc.profile}" is not in force as planned, not executing: ${differs.join("; ")}`);
  return prebuilt;
}

interface Effects {
  done: (step: Step, action: string) => void;
  fail: (step: Step, r: { call: string; errno: number }, cause: string, findingUid?: string | null) => never;
  degrade: (d: Degraded) => void;
}

/**
 * Drop every cap the plan removes, up to the kernel's last (caps newer than our table included),
 * CAP_SETPCAP last because each drop needs it. EPERM for a cap that is already absent is fine
 * (capctl's ensure_dropped); any other refusal stops the drop: fatal, or a reported degradation.
 */
function dropBounding(plan: StepDownPlan, before: ProcessState, got: Achieved, fx: Effects): void {
  const toDrop = before.caps.bounding & ~plan.caps.bounding;
  if (toDrop === 0n) return;
  const order = capsOf(toDrop).filter((c) => c !== CAP_SETPCAP);
  if ((toDrop & capBit(CAP_SETPCAP)) !== 0n) order.push(CAP_SETPCAP);
  for (const cap of order) {
    const r = capbsetDrop(cap);
    if (r.ok) continue;
    const read = capbsetRead(cap);
    if (r.errno === EPERM && read.ok && read.value === 0) continue;
    const residual = residualBounding(plan.lastCap);
    const cause =
      `cannot drop ${capName(cap)} from the bounding set (${r.errno === EPERM ? "CAP_SETPCAP unavailable or an LSM/seccomp filter refuses PR_CAPBSET_DROP (rootless Podman / AppArmor?)" : "unexpected error"}); ` +
      `residual CapBnd=${toHex(residual)} (${capList(residual)}); remedy: grant CAP_SETPCAP, or accept with --allow-degraded bounding`;
    if (!plan.allowDegraded.has("bounding")) fx.fail("bounding", r, cause, "bounding-set-clear-blocked");
    got.residualBounding = residual;
    fx.degrade({ name: "bounding", findingUid: "bounding-set-clear-blocked", reason: `${describe(r)}: ${cause}` });
    return;
  }
  fx.done("bounding", `dropped ${capList(toDrop)} from the bounding set → ${toHex(plan.caps.bounding)}`);
}

function residualBounding(lastCap: number): CapMask {
  let m = 0n;
  for (let c = 0; c <= lastCap; c++) {
    const r = capbsetRead(c);
    if (!r.ok || r.value === 1) m |= capBit(c);
  }
  return m;
}

/**
 * capset to the planned sets (a root workload keeps its permitted/effective until execve
 * recomputes them from the bounding set), then ambient: clear all, raise each requested cap.
 * A requested ambient cap that cannot be raised is fatal (setpriv silently goes on).
 */
function applyCaps(plan: StepDownPlan, fx: { must: <T>(step: Step, r: SysResult<T>, cause: (e: number) => string) => T; done: Effects["done"] }): void {
  const now = fx.must("caps", capget(), capsHint);
  const c = plan.caps;
  const next = {
    permitted: c.permitted ?? now.permitted,
    effective: c.effective ?? now.effective,
    inheritable: c.inheritable,
  };
  fx.must("caps", capset(next), capsHint);
  if (plan.keepCaps) fx.must("caps", setKeepCaps(false), capsHint);
  fx.must("caps", ambientClearAll(), capsHint);
  for (const cap of capsOf(c.ambient)) fx.must("caps", ambientRaise(cap), (e) => `cannot raise ${capName(cap)} into the ambient set: ${capsHint(e)}`);
  fx.done("caps", `capset(permitted=${toHex(next.permitted)}, effective=${toHex(next.effective)}, inheritable=${toHex(next.inheritable)}); ambient=${toHex(c.ambient)}`);
}
