// The planner: options + the caller's state + the resolved identity → a StepDownPlan. Pure: it
// reads nothing and changes nothing, so every refusal here happens before any privilege change,
// and the unit tests can pretend to be any caller on any kernel.
import { capsOf, type CapMask, hasCap, names, toHex } from "../caps/mask.ts";
import { SECUREBIT_FLAGS, securebitLockMask, securebitMask } from "../caps/securebits.ts";
import { applyCapEdits, CapSpecError, parseCapList } from "../caps/spec.ts";
import type { ProcessState } from "../state/types.ts";
import { describe } from "../sys/result.ts";
import type { ResolvedUser } from "../user/resolve.ts";
import type { Degraded } from "./degrade.ts";
import type { ExecOptions } from "./options.ts";
import { Refusal } from "./refusal.ts";
import { SECCOMP_FINDING, seccompHint, type SeccompRequest } from "./seccomp.ts";
import { SecurebitsSpecError, applySecurebitEdits } from "./securebitsSpec.ts";
import { signalName } from "./signals.ts";
import type { CapTarget, PlannedSeccomp, PlannedStep, PredictedState, StepDownPlan, Workload } from "./types.ts";

const CAP_SETGID = 6;
const CAP_SETUID = 7;
const CAP_SETPCAP = 8;
const CAP_SYS_ADMIN = 21;
const NOROOT = securebitMask("noroot");
const KEEP_CAPS = securebitMask("keep_caps");

/** What the caller is, read before planning (by syscalls, on the thread that will exec). */
export interface CallerFacts {
  state: ProcessState;
  lastCap: number;
  /** The non-destructive PR_CAPBSET_DROP probe: false when CAP_SETPCAP is missing or an LSM refuses. */
  boundingDroppable: boolean;
  boundingDropErrno: string | null;
  /** LISTEN_FDS addressed to this pid (systemd socket activation), else 0. */
  listenFds: number;
}

export interface PlanInput {
  options: ExecOptions;
  facts: CallerFacts;
  identity: ResolvedUser | null;
  workload: Workload;
  /** The --seccomp filter, compiled for this plan's workload (see prepare), and the install probe. */
  seccomp: SeccompRequest | null;
}

const capList = (m: CapMask) => names(m).join(",") || "none";
const sameSet = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

function capTarget(o: ExecOptions, f: CallerFacts, targetIsRoot: boolean): CapTarget {
  const { lastCap } = f;
  const current = f.state.caps.bounding;
  try {
    const keep = o.caps === null ? 0n : parseCapList(o.caps, lastCap);
    const bounding = (o.boundingSet === null ? current : applyCapEdits(current, o.boundingSet, lastCap)) | keep;
    const ambient = (o.ambientCaps === null ? 0n : applyCapEdits(0n, o.ambientCaps, lastCap)) | keep;
    // An ambient cap must be inheritable too (the kernel's rule), so asking for one implies it.
    const inheritable = (o.inhCaps === null ? 0n : applyCapEdits(0n, o.inhCaps, lastCap)) | ambient;
    const missing = bounding & ~current;
    if (missing !== 0n) {
      throw new Refusal(
        "usage",
        `cannot keep ${capList(missing)} in the bounding set: the caller's bounding set (${toHex(current)}) does not have ${missing & (missing - 1n) ? "them" : "it"}; a process can only lose capabilities`,
      );
    }
    const outside = inheritable & ~bounding;
    if (outside !== 0n) {
      throw new Refusal(
        "usage",
        `${capList(outside)} requested as inheritable/ambient but removed from the bounding set by --bounding-set ${o.boundingSet ?? "(unchanged)"}; add it to --caps or the bounding set`,
      );
    }
    return {
      bounding,
      inheritable,
      ambient,
      // A root workload gets its permitted/effective sets from execve (the bounding set caps
      // them); a non-root one keeps exactly its ambient caps.
      permitted: targetIsRoot ? null : ambient,
      effective: targetIsRoot ? null : ambient,
    };
  } catch (e) {
    if (e instanceof CapSpecError) throw new Refusal("usage", e.message);
    throw e;
  }
}

function permissionCheck(s: ProcessState, id: ResolvedUser, setGroups: number[] | null): void {
  const needUid = [s.uid.real, s.uid.effective, s.uid.saved].some((u) => u !== id.uid);
  const needGid = setGroups !== null || [s.gid.real, s.gid.effective, s.gid.saved].some((g) => g !== id.gid);
  const lacking = [
    ...(needGid && !hasCap(s.caps.effective, CAP_SETGID) ? ["CAP_SETGID"] : []),
    ...(needUid && !hasCap(s.caps.effective, CAP_SETUID) ? ["CAP_SETUID"] : []),
  ];
  if (lacking.length === 0) return;
  throw new Refusal(
    "permission",
    `cannot switch to uid ${id.uid} gid ${id.gid}: this process runs as uid ${s.uid.effective} gid ${s.gid.effective} without ${lacking.join(" and ")}; ` +
      `start sbx as root (the container's default user) or as uid ${id.uid} itself — no_new_privs is not the cause`,
    "stepdown-permission-missing",
  );
}

/**
 * Groups to set. Skipped when they are already exactly right, and — for a caller that already
 * has the target ids and cannot call setgroups — when the current groups are a subset of the
 * target's: fewer groups is never a weaker state (`docker run --user 1000:1000` then sbx).
 */
function groupsToSet(s: ProcessState, id: ResolvedUser, idsAlreadyTarget: boolean): number[] | null {
  if (sameSet(s.groups, id.groups)) return null;
  const subset = s.groups.every((g) => id.groups.includes(g));
  if (idsAlreadyTarget && subset && !hasCap(s.caps.effective, CAP_SETGID)) return null;
  return [...id.groups];
}

/**
 * Why a bounding set this process cannot reduce is harmless, or null when it matters. It is inert
 * when the process already runs as its non-root target, holds no capability in any set, asks for
 * none, and no_new_privs is certain: then no execve can grant a capability (NNP ignores setuid bits
 * and file capabilities, and what execve grants is capped by the permitted set, which is empty), so
 * the bounding set limits nothing — and a new user namespace starts with a full one anyway.
 */
function inertBounding(s: ProcessState, caps: CapTarget, target: { uid: number; gid: number }, nnpCertain: boolean, f: CallerFacts): string | null {
  const alreadyTarget =
    [s.uid.real, s.uid.effective, s.uid.saved].every((u) => u === target.uid) &&
    [s.gid.real, s.gid.effective, s.gid.saved].every((g) => g === target.gid);
  const held = s.caps.effective | s.caps.permitted | s.caps.inheritable | s.caps.ambient;
  if (!alreadyTarget || target.uid === 0 || held !== 0n || (caps.inheritable | caps.ambient) !== 0n || !nnpCertain) return null;
  return `the bounding set ${toHex(s.caps.bounding)} cannot be dropped (PR_CAPBSET_DROP: ${f.boundingDropErrno ?? "EPERM"}, no CAP_SETPCAP) but is inert: ` +
    `uid ${target.uid} already is the target, holds no capability in any set and asks for none, and no_new_privs is set, so no execve can grant one ` +
    `(and a new user namespace starts with a full bounding set anyway)`;
}

/**
 * PR_SET_SECUREBITS needs CAP_SETPCAP, and a lock bit — or the flag it locks — never changes
 * again: both are known now, so refuse before any change instead of failing half-way.
 */
function checkSecurebits(s: ProcessState, next: number, spec: string): void {
  const cur = s.securebits ?? 0;
  const changed = SECUREBIT_FLAGS.filter((fl) => {
    const lock = securebitLockMask(fl);
    return (cur & lock) !== 0 && ((cur ^ next) & (lock | securebitMask(fl))) !== 0;
  });
  if (changed.length) {
    throw new Refusal("securebits", `--securebits ${spec}: ${changed.join(", ")} ${changed.length > 1 ? "are" : "is"} locked (current securebits 0x${cur.toString(16)}); a locked securebit cannot change, not even as root`);
  }
  if (!hasCap(s.caps.effective, CAP_SETPCAP)) {
    throw new Refusal("securebits", `--securebits ${spec}: PR_SET_SECUREBITS needs CAP_SETPCAP, which this process (uid ${s.uid.effective}) does not have in its effective set`);
  }
}

function boundingRefusal(f: CallerFacts, toDrop: CapMask): Refusal {
  const residual = f.state.caps.bounding;
  return new Refusal(
    "bounding",
    `cannot drop bounding set: prctl(PR_CAPBSET_DROP) refused with ${f.boundingDropErrno ?? "EPERM"} — CAP_SETPCAP unavailable (rootless Podman, --cap-drop SETPCAP, non-root caller) or an LSM such as AppArmor denies it; ` +
      `residual CapBnd=${toHex(residual)} (${capList(residual)})${toDrop === residual ? "" : `, to drop: ${capList(toDrop)}`}; ` +
      `remedy: grant CAP_SETPCAP (e.g. --cap-add SETPCAP), or accept it with --allow-degraded bounding`,
    "bounding-set-clear-blocked",
  );
}

/**
 * The kernel takes a filter from a thread with no_new_privs, or one holding CAP_SYS_ADMIN. sbx
 * installs it last, right before execve; without no_new_privs the capability must still be
 * effective then, as for a root workload, which keeps its effective set until execve. Installing
 * it earlier, while the capability is held, would put sbx's remaining steps (set*id through libc,
 * capset, prctl, verification, the runtime's own calls) under the filter, and those cannot be
 * checked in advance: refused. A kernel that refuses filters is refused too, or with
 * --allow-degraded seccomp planned as a reported degradation.
 */
function planSeccomp(req: SeccompRequest, o: ExecOptions, s: ProcessState, caps: CapTarget, degraded: Degraded[]): PlannedSeccomp {
  const f = req.filter;
  const effective = caps.effective ?? s.caps.effective;
  const allowedBy = s.noNewPrivs ? "nnp-inherited" : o.noNewPrivs ? "nnp" : hasCap(effective, CAP_SYS_ADMIN) ? "cap_sys_admin" : null;
  if (allowedBy === null) {
    throw new Refusal(
      "usage",
      `--seccomp without no_new_privs: the kernel then takes a filter only from a thread holding CAP_SYS_ADMIN, and at the last step before execve this one holds ${capList(effective)}; ` +
        `installing it earlier would put sbx's remaining steps (set*id, capset, prctl, its runtime's own calls) under a filter that cannot be checked for them in advance — keep no_new_privs (drop --allow-new-privs; gosu mode: SBX_NO_NEW_PRIVS=1)`,
    );
  }
  if (req.refusedErrno !== null) {
    const why = `${describe({ call: "seccomp(SECCOMP_SET_MODE_FILTER)", errno: req.refusedErrno })}: ${seccompHint(req.refusedErrno, f.flags)}`;
    if (!o.allowDegraded.has("seccomp")) {
      throw new Refusal("seccomp", `${why}; the workload would run without the "${f.profile}" filter — accept with --allow-degraded seccomp`, SECCOMP_FINDING);
    }
    degraded.push({ name: "seccomp", findingUid: SECCOMP_FINDING, reason: `${why}; running without the "${f.profile}" filter (--allow-degraded seccomp)` });
  }
  return { ...f, install: req.refusedErrno === null, allowedBy };
}

function seccompAction(sc: PlannedSeccomp, steps: readonly PlannedStep[], s: ProcessState): string {
  const skipped = sc.warnings.length ? `, ${sc.warnings.length} unknown syscall name${sc.warnings.length > 1 ? "s" : ""} skipped` : "";
  const what = `"${sc.profile}" (${sc.source}, ${sc.instructions} instructions, sha256 ${sc.sha256.slice(0, 16)}…${skipped})`;
  if (!sc.install) return `${what} NOT installed, this kernel refuses it: DEGRADED, allowed by --allow-degraded seccomp`;
  const how = {
    nnp: `no_new_privs set first, step ${steps.findIndex((st) => st.step === "nnp") + 1}`,
    "nnp-inherited": "no_new_privs already set by the caller",
    cap_sys_admin: "WITHOUT no_new_privs, --allow-new-privs: the kernel takes it because CAP_SYS_ADMIN is still effective",
  }[sc.allowedBy];
  const count = s.seccompFilters === null ? "" : `, Seccomp_filters ${s.seccompFilters} → ${s.seccompFilters + 1}`;
  return `install ${what} on this thread after the PATH lookup, right before execve (${how}); then verify it is in force (PR_GET_SECCOMP${count})`;
}

function predict(p: Omit<StepDownPlan, "steps" | "predicted">, s: ProcessState): PredictedState {
  const id = p.identity;
  const uid = id ? id.uid : s.uid.effective;
  const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });
  const securebits = (p.securebits ?? s.securebits ?? 0) & ~KEEP_CAPS; // execve clears keep_caps
  const rootGetsCaps = uid === 0 && (securebits & NOROOT) === 0;
  const { bounding, inheritable, ambient } = p.caps;
  // execve for a binary without file caps: root gets P' = I | B (its implicit file sets are full), others P' = A.
  const permitted = rootGetsCaps ? inheritable | bounding | ambient : ambient;
  return {
    uid: id ? ids(id.uid) : { ...s.uid },
    gid: id ? ids(id.gid) : { ...s.gid },
    groups: p.setGroups ?? [...s.groups],
    caps: { inheritable, permitted, effective: permitted, bounding, ambient },
    securebits,
    noNewPrivs: p.noNewPrivs || s.noNewPrivs,
    seccomp: p.seccomp?.install ? "filter" : "unchanged",
  };
}

function describeSteps(p: Omit<StepDownPlan, "steps" | "predicted">, o: ExecOptions, s: ProcessState): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const add = (step: PlannedStep["step"], action: string) => steps.push({ step, action });
  add("preflight", "refuse a setuid/setgid/file-capability install of sbx and AT_SECURE; open /dev/null on closed fds 0-2; probe PR_CAPBSET_DROP");
  if (o.report && "file" in o.report) add("report", `open ${o.report.file} for the report (while still the caller)`);
  add("fds", p.keepFds > 0 ? `fds 3-${2 + p.keepFds} kept (LISTEN_FDS/--preserve-fds); every other fd from ${3 + p.keepFds} up close-on-exec` : "every fd from 3 up close-on-exec; fds 0-2 kept");
  add("signals", "empty the signal mask; reset ignored signals to default");
  if (p.newSession) add("session", "setsid()");
  const id = p.identity;
  if (id && p.idsAlreadyTarget) add("gid", `already uid ${id.uid} gid ${id.gid}: setres[ug]id skipped`);
  if (id && p.setGroups) add("groups", `setgroups([${p.setGroups.join(",")}]) (rule: ${id.groupsRule})`);
  else if (id) add("groups", `groups [${s.groups.join(",")}] kept: already as required (rule: ${id.groupsRule})`);
  if (id && !p.idsAlreadyTarget) add("gid", `setresgid(${id.gid}, ${id.gid}, ${id.gid})`);
  // A kept bounding set is planned as the caller's, so say why before "nothing to drop".
  const drop = s.caps.bounding & ~p.caps.bounding;
  if (p.boundingInert) add("bounding", `bounding set ${toHex(s.caps.bounding)} kept: cannot be dropped (${p.boundingDropErrno}) but inert, not degraded (see below)`);
  else if (p.degraded.some((d) => d.name === "bounding")) add("bounding", `bounding set ${toHex(s.caps.bounding)} kept: cannot be dropped (${p.boundingDropErrno}): DEGRADED, allowed by --allow-degraded bounding`);
  else if (drop === 0n) add("bounding", `bounding set already ${toHex(p.caps.bounding)}: nothing to drop`);
  else {
    const last = hasCap(drop, CAP_SETPCAP) ? ", cap_setpcap last" : "";
    add("bounding", `PR_CAPBSET_DROP ${capsOf(drop).length} caps (${capList(drop)})${last} → ${toHex(p.caps.bounding)}`);
  }
  if (p.securebits !== null) add("securebits", `PR_SET_SECUREBITS(0x${p.securebits.toString(16)})`);
  if (p.keepCaps) add("securebits", "PR_SET_KEEPCAPS(1) so the requested caps survive setresuid");
  if (id && !p.idsAlreadyTarget) add("uid", `setresuid(${id.uid}, ${id.uid}, ${id.uid})`);
  const pe = p.caps.permitted === null ? "unchanged (root: execve derives them from the bounding set)" : toHex(p.caps.permitted);
  add("caps", `capset(permitted=effective=${pe}, inheritable=${toHex(p.caps.inheritable)}); ambient cleared${p.caps.ambient ? `, raise ${capList(p.caps.ambient)}` : ""}`);
  if (p.pdeathsig) add("pdeathsig", `PR_SET_PDEATHSIG(${signalName(p.pdeathsig)}) (after the uid change, which clears it)`);
  if (p.workdir) add("workdir", `chdir(${p.workdir}) as the target user`);
  if (p.noNewPrivs) add("nnp", "PR_SET_NO_NEW_PRIVS(1)");
  add("verify", `read back ids, groups, capget, bounding 0..${p.lastCap}, ambient, securebits, no_new_privs${id && id.uid !== 0 ? "; setresuid(0) must fail" : ""}`);
  if (p.seccomp) add("seccomp", seccompAction(p.seccomp, steps, s));
  if (o.report) add("report", `write the JSON report to ${"file" in o.report ? o.report.file : `fd ${o.report.fd}`}`);
  add("exec", `look up ${p.workload.command} in PATH as the target user, execve in place (same pid)`);
  return steps;
}

export function planStepDown({ options: o, facts: f, identity, workload, seccomp: request }: PlanInput): StepDownPlan {
  const s = f.state;
  const targetUid = identity ? identity.uid : s.uid.effective;
  const caps = capTarget(o, f, targetUid === 0);
  const idsAlreadyTarget =
    identity !== null &&
    [s.uid.real, s.uid.effective, s.uid.saved].every((u) => u === identity.uid) &&
    [s.gid.real, s.gid.effective, s.gid.saved].every((g) => g === identity.gid);
  const setGroups = identity ? groupsToSet(s, identity, idsAlreadyTarget) : null;
  if (identity && !idsAlreadyTarget) permissionCheck(s, identity, setGroups);

  let securebits: number | null = null;
  if (o.securebits !== null) {
    try {
      securebits = applySecurebitEdits(s.securebits ?? 0, o.securebits);
    } catch (e) {
      if (e instanceof SecurebitsSpecError) throw new Refusal("usage", e.message);
      throw e;
    }
    checkSecurebits(s, securebits, o.securebits);
  }
  const uidChanges = identity !== null && !idsAlreadyTarget && identity.uid !== 0;
  // Requested caps (ambient ones are inheritable too) need keep-caps: without it setresuid empties
  // the permitted set, and capset can then make nothing inheritable.
  const keepCaps = uidChanges && caps.inheritable !== 0n;
  const bits = securebits ?? s.securebits ?? 0;
  const keepCapsLockedOff = (bits & securebitLockMask("keep_caps")) !== 0 && (bits & KEEP_CAPS) === 0;
  if (keepCaps && keepCapsLockedOff) {
    throw new Refusal("usage", `keep_caps is locked off (securebits 0x${bits.toString(16)}), but the requested caps need it to survive the uid change`);
  }

  const degraded: Degraded[] = [];
  const toDrop = s.caps.bounding & ~caps.bounding;
  // A residual bounding set is only harmless under no_new_privs, so it counts only when it cannot be lost.
  const nnpCertain = s.noNewPrivs || (o.noNewPrivs && !o.allowDegraded.has("nnp"));
  let boundingInert: string | null = null;
  if (toDrop !== 0n && !f.boundingDroppable) {
    const target = identity ?? { uid: s.uid.effective, gid: s.gid.effective };
    boundingInert = inertBounding(s, caps, target, nnpCertain, f);
    if (boundingInert === null) {
      if (!o.allowDegraded.has("bounding")) throw boundingRefusal(f, toDrop);
      if (!nnpCertain) {
        throw new Refusal(
          "usage",
          `--allow-degraded bounding needs no_new_privs: with a residual bounding set, setuid-root and file-capability binaries could regain capabilities (${o.noNewPrivs ? "do not also allow nnp to degrade" : "drop --allow-new-privs"})`,
          "bounding-set-clear-blocked",
        );
      }
      degraded.push({
        name: "bounding",
        findingUid: "bounding-set-clear-blocked",
        reason: boundingRefusal(f, toDrop).message.replace(/; remedy:.*$/, "; running with the residual set (--allow-degraded bounding)"),
      });
    }
    // The drop would fail: the plan keeps the residual set (inert, or reported as degraded).
    caps.bounding = s.caps.bounding;
  }
  // The kernel's rules for capset and PR_CAP_AMBIENT_RAISE: a process cannot gain capabilities.
  const notHeld = (caps.ambient & ~s.caps.permitted) | (caps.inheritable & ~(s.caps.permitted | s.caps.inheritable));
  if (notHeld !== 0n) {
    throw new Refusal("caps", `cannot make ${capList(notHeld)} inheritable/ambient: not in this process's permitted set (${toHex(s.caps.permitted)}); a process cannot gain capabilities`);
  }
  const seccomp = request ? planSeccomp(request, o, s, caps, degraded) : null;

  const base = {
    identity,
    setGroups,
    idsAlreadyTarget,
    caps,
    securebits,
    keepCaps,
    noNewPrivs: o.noNewPrivs,
    pdeathsig: o.pdeathsig,
    newSession: o.newSession,
    workdir: o.workdir,
    keepFds: f.listenFds + o.preserveFds,
    seccomp,
    allowDegraded: o.allowDegraded,
    workload,
    lastCap: f.lastCap,
    boundingDroppable: f.boundingDroppable,
    boundingDropErrno: f.boundingDropErrno,
    boundingInert,
    degraded,
  };
  return { ...base, steps: describeSteps(base, o, s), predicted: predict(base, s) };
}
