// The planner: options + the caller's state + the resolved identity → the list of operations
// run.ts executes, in order, and the state the workload will have after execve. Pure: it reads
// nothing and changes nothing, so every refusal here happens before any privilege change, and
// the unit tests can pretend to be any caller on any kernel.
//
// The order (setpriv's, with runc's and minijail's lessons), each step only when needed:
//   fds → session → rlimit raise → groups → gid → bounding (CAP_SETPCAP last) → securebits →
//   keep-caps → uid → caps (capset, ambient) → pdeathsig → workdir → nnp → verify → lookup →
//   rlimits → umask → landlock → [report built] → seccomp → [report written] → signals → execve
// Credentials change while the caps to change them are still held; the bounding set goes while
// CAP_SETPCAP is; the uid last of the identity, since it takes the remaining caps with it; no_new_privs
// after everything that could need privilege; the filter last of all, so that no step of sbx's
// own runs under it except the few calls checked in advance (seccomp/afterInstall.ts); signal
// dispositions only after sbx's last own write (a report write must fail with EPIPE/EFBIG, not
// kill sbx with SIGPIPE/SIGXFSZ). A hard limit that must grow is raised while CAP_SYS_RESOURCE is
// held; the limits themselves and the umask are set late, once the identity is verified, so that
// sbx's own runtime runs under the workload's limits as briefly as possible (limits.ts). The
// Landlock ruleset is enforced after no_new_privs (restrict_self needs it), as the target user (its
// probes are the target's accesses), right before the filter, which therefore cannot block it
// (landlock/plan.ts); its rule paths were opened as root before any change.
import { capsOf, type CapMask, hasCap, names, toHex } from "../caps/mask.ts";
import { rightList } from "../landlock/access.ts";
import { SECUREBIT_FLAGS, securebitLockMask, securebitMask, SecurebitsSpecError, applySecurebitEdits } from "../caps/securebits.ts";
import { CapSpecError, parseCapEdits, parseCapList } from "../caps/spec.ts";
import { applyEdits } from "../caps/edits.ts";
import type { ResolvedUser } from "../identity/resolve.ts";
import type { ExecOptions, ExecValues } from "../options/exec.ts";
import type { IdSet, ProcessState } from "../state/types.ts";
import { seccompHint } from "../render/hints.ts";
import { describe } from "../sys/result.ts";
import type { ByteString } from "../text/bytes.ts";
import { listText, quote } from "../text/quote.ts";
import type { Degradation, Degraded } from "./degrade.ts";
import { afterExecve, type BeforeExecve, type PredictedState } from "./execve.ts";
import type { Expected, Op } from "./ops.ts";
import { Refusal } from "./refusal.ts";
import type { SeccompFilter, SeccompRequest } from "./seccomp/types.ts";
import { planLandlock, type PlannedLandlock } from "./landlock/plan.ts";
import type { LandlockFacts } from "./landlock/types.ts";
import { type LimitFacts, planLimits } from "./limits.ts";
import type { LimitOp } from "./ops.ts";

const CAP_SETGID = 6;
const CAP_SETUID = 7;
const CAP_SETPCAP = 8;
const CAP_SYS_ADMIN = 21;
const KEEP_CAPS = securebitMask("keep_caps");

/** What the caller is, read before planning (by syscalls, cross-checked, on the thread that will exec). */
export interface CallerFacts {
  state: ProcessState;
  lastCap: number;
  /** The kernel has an ambient set (Linux 4.3+). */
  ambientSet: boolean;
  /** The non-destructive PR_CAPBSET_DROP probe: false when CAP_SETPCAP is missing or an LSM refuses. */
  boundingDroppable: boolean;
  boundingDropErrno: string | null;
  /** LISTEN_FDS addressed to this pid (systemd socket activation), else 0. */
  listenFds: number;
  /** /proc/thread-self/status has a Seccomp: line: the kernel itself has seccomp. */
  kernelHasSeccomp: boolean;
}

export interface Workload {
  /** argv[0] as given; the path is looked up again as the target user (gosu rule). */
  command: ByteString;
  argv: ByteString[];
  env: ByteString[];
  /** The PATH used for the lookup (the workload's own). */
  path: ByteString;
}

/** How the front end names what the operator can ask for: "--allow-degraded bounding" or "SBX_ALLOW_DEGRADED=bounding". */
export interface Vocabulary {
  option(key: keyof ExecValues, value?: string): string;
  /** How to keep no_new_privs set: "drop --allow-new-privs" / "SBX_NO_NEW_PRIVS=1". */
  keepNnp: string;
}

export interface PlanInput {
  options: ExecOptions;
  facts: CallerFacts;
  identity: ResolvedUser | null;
  workload: Workload;
  /** The status fd verification reads; the report fd (and its flags to restore), if a report is asked for. */
  fds: { status: number; report: { fd: number; to: string; restoreFlags: number | null } | null };
  /** The --seccomp filter, compiled for this plan's workload (see prepare), and what the kernel said. */
  seccomp: SeccompRequest | null;
  say: Vocabulary;
  /** With --landlock-access: the kernel's ABI and the rule paths, opened as root (landlock/prepare.ts). */
  landlock?: LandlockFacts | null;
  /** With --rlimit: the current limits of the asked resources. */
  limits?: LimitFacts | null;
}

/** The --seccomp filter as planned. */
export interface PlannedSeccomp extends SeccompFilter {
  /** False when this kernel refuses it and --allow-degraded seccomp lets the workload run without. */
  install: boolean;
  /** What lets the kernel take it: no_new_privs set by sbx just before, already set by the caller, or CAP_SYS_ADMIN still effective. */
  allowedBy: "nnp" | "nnp-inherited" | "cap_sys_admin";
}

export interface StepDownPlan {
  ops: Op[];
  identity: ResolvedUser | null;
  workload: Workload;
  /** The workload's state after execve: afterExecve of the state verification expects. */
  predicted: PredictedState;
  /** Degradations known now (and allowed); the runner may meet others it was allowed to. */
  degraded: Degraded[];
  /** Why a bounding set that cannot be dropped is harmless (kept, not degraded); null otherwise. */
  boundingInert: string | null;
  /** Said about the plan besides its operations (skipped steps and why), for --dry-run. */
  notes: string[];
  seccomp: PlannedSeccomp | null;
  lastCap: number;
  boundingDroppable: boolean;
  boundingDropErrno: string | null;
  allowDegraded: ReadonlySet<Degradation>;
  /** How the front end names options, for the messages the runner's failures get. */
  say: Vocabulary;
  /** The caller's seccomp filters (procfs), before sbx adds its own. */
  callerFilters: number | null;
  /** The Landlock ruleset as planned; null without --landlock-access. */
  landlock: PlannedLandlock | null;
  /** The limits the workload gets (--rlimit), and its umask (--umask). */
  rlimits: LimitOp[];
  umask: number | null;
}

const capList = (m: CapMask) => names(m).join(",") || "none";
const sameSet = (a: readonly number[], b: readonly number[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
const all = (n: number): IdSet => ({ real: n, effective: n, saved: n, fs: n });
const ids3 = (x: IdSet) => [x.real, x.effective, x.saved];

interface CapTarget {
  bounding: CapMask;
  inheritable: CapMask;
  ambient: CapMask;
  /** Permitted and effective right before execve; null for a root workload (execve recomputes them). */
  permitted: CapMask | null;
  effective: CapMask | null;
}

/**
 * The capability sets the workload asks for. --caps names caps that are kept (bounding,
 * inheritable, ambient); an explicit removal of one of them in another option contradicts it and
 * is refused rather than resolved either way (in the bounding set, `-all` is the default idiom and
 * --caps is applied on top of it; the inheritable and ambient lists start empty, so `-all` there
 * can only mean "none").
 */
function capTarget(o: ExecOptions, f: CallerFacts, targetIsRoot: boolean, say: Vocabulary): CapTarget {
  const { lastCap } = f;
  const current = f.state.caps.bounding;
  try {
    const keep = o.caps === undefined ? 0n : parseCapList(o.caps, lastCap);
    const edits = {
      boundingSet: o.boundingSet === undefined ? [] : parseCapEdits(o.boundingSet, lastCap),
      inhCaps: o.inhCaps === undefined ? [] : parseCapEdits(o.inhCaps, lastCap),
      ambientCaps: o.ambientCaps === undefined ? [] : parseCapEdits(o.ambientCaps, lastCap),
    };
    for (const [key, list] of Object.entries(edits) as Array<[keyof typeof edits, typeof edits.boundingSet]>) {
      for (const e of list) {
        const isAll = e.text.trim().toLowerCase() === "all";
        const removed = e.sign === "-" && (!isAll || key !== "boundingSet") ? e.item & keep : 0n;
        if (removed !== 0n) {
          // e.text parsed as a capability, so once trimmed it is a plain name or number.
          throw new Refusal("usage", `${say.option(key, `-${e.text.trim()}`)} removes ${capList(removed)}, which ${say.option("caps", quote(o.caps!))} keeps: these contradict each other; keep it out of one of them`);
        }
      }
    }
    const bounding = applyEdits(current, edits.boundingSet) | keep;
    const ambient = applyEdits(0n, edits.ambientCaps) | keep;
    // An ambient cap must be inheritable too (the kernel's rule), so asking for one implies it.
    const inheritable = applyEdits(0n, edits.inhCaps) | ambient;
    const missing = bounding & ~current;
    if (missing !== 0n) {
      throw new Refusal("usage", `cannot keep ${capList(missing)} in the bounding set: the caller's bounding set (${toHex(current)}) does not have ${missing & (missing - 1n) ? "them" : "it"}; a process can only lose capabilities`);
    }
    const outside = inheritable & ~bounding;
    if (outside !== 0n) {
      throw new Refusal("usage", `${capList(outside)} requested as inheritable/ambient but removed from the bounding set by ${say.option("boundingSet", o.boundingSet === undefined ? "(unchanged)" : quote(o.boundingSet))}; add it to ${say.option("caps")} or the bounding set`);
    }
    if (ambient !== 0n && !f.ambientSet) {
      throw new Refusal("caps", `cannot make ${capList(ambient)} ambient: this kernel has no ambient capabilities (Linux < 4.3; /proc/thread-self/status shows no CapAmb)`);
    }
    // A root workload gets its permitted/effective sets from execve (the bounding set caps them);
    // a non-root one keeps exactly its ambient caps.
    return { bounding, inheritable, ambient, permitted: targetIsRoot ? null : ambient, effective: targetIsRoot ? null : ambient };
  } catch (e) {
    if (e instanceof CapSpecError) throw new Refusal("usage", e.message);
    throw e;
  }
}

function permissionCheck(s: ProcessState, id: ResolvedUser, setGroups: number[] | null): void {
  const needUid = ids3(s.uid).some((u) => u !== id.uid);
  const needGid = setGroups !== null || ids3(s.gid).some((g) => g !== id.gid);
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
 * for a non-root target (all four uids) under certain no_new_privs: every other set ends exactly as
 * asked (capset and the ambient clear need no privilege to lower), execve under no_new_privs grants
 * nothing from setuid bits or file capabilities, and a non-root process gets its permitted set
 * from the ambient one, not the bounding set; a new user namespace starts with a full bounding set
 * anyway. A root target is refused, conservatively: its permitted set comes from the bounding set.
 */
function inertBounding(s: ProcessState, targetUid: number, caps: CapTarget, nnpCertain: boolean, f: CallerFacts): string | null {
  if (targetUid === 0 || !nnpCertain) return null;
  const kept = caps.inheritable | caps.ambient;
  return `the bounding set ${toHex(s.caps.bounding)} cannot be dropped (PR_CAPBSET_DROP: ${f.boundingDropErrno ?? "EPERM"}, no CAP_SETPCAP) but is inert: ` +
    `uid ${targetUid} is not root, ends with ${kept === 0n ? "no capability in any set" : `only the capabilities asked for (${capList(kept)})`}, and no_new_privs is set, ` +
    `so no execve can grant more (and a new user namespace starts with a full bounding set anyway)`;
}

/**
 * PR_SET_SECUREBITS needs CAP_SETPCAP, and a lock bit — or the flag it locks — never changes
 * again: both are known now, so refuse before any change instead of failing half-way.
 */
function checkSecurebits(s: ProcessState, next: number, spec: ByteString, say: Vocabulary): void {
  const cur = s.securebits ?? 0;
  const changed = SECUREBIT_FLAGS.filter((fl) => {
    const lock = securebitLockMask(fl);
    return (cur & lock) !== 0 && ((cur ^ next) & (lock | securebitMask(fl))) !== 0;
  });
  const shown = say.option("securebits", quote(spec));
  if (changed.length) {
    throw new Refusal("securebits", `${shown}: ${changed.join(", ")} ${changed.length > 1 ? "are" : "is"} locked (current securebits 0x${cur.toString(16)}); a locked securebit cannot change, not even as root`);
  }
  if (!hasCap(s.caps.effective, CAP_SETPCAP)) {
    throw new Refusal("securebits", `${shown}: PR_SET_SECUREBITS needs CAP_SETPCAP, which this process (uid ${s.uid.effective}) does not have in its effective set`);
  }
}

function boundingRefusal(f: CallerFacts, toDrop: CapMask, say: Vocabulary): Refusal {
  const residual = f.state.caps.bounding;
  return new Refusal(
    "bounding",
    `cannot drop bounding set: prctl(PR_CAPBSET_DROP) refused with ${f.boundingDropErrno ?? "EPERM"} — CAP_SETPCAP unavailable (rootless Podman, --cap-drop SETPCAP, non-root caller) or an LSM such as AppArmor denies it; ` +
      `residual CapBnd=${toHex(residual)} (${capList(residual)})${toDrop === residual ? "" : `, to drop: ${capList(toDrop)}`}; ` +
      `remedy: grant CAP_SETPCAP (e.g. --cap-add SETPCAP), run the workload as a non-root user under no_new_privs (the set is then inert), or accept it with ${say.option("allowDegraded", "bounding")}`,
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
function planSeccomp(req: SeccompRequest, o: ExecOptions, facts: CallerFacts, caps: CapTarget, degraded: Degraded[], say: Vocabulary): PlannedSeccomp {
  const s = facts.state;
  const f = req.filter;
  const effective = caps.effective ?? s.caps.effective;
  const allowedBy = s.noNewPrivs ? "nnp-inherited" : o.nnp ? "nnp" : hasCap(effective, CAP_SYS_ADMIN) ? "cap_sys_admin" : null;
  if (allowedBy === null) {
    throw new Refusal(
      "usage",
      `${say.option("seccomp")} without no_new_privs: the kernel then takes a filter only from a thread holding CAP_SYS_ADMIN, and at the last step before execve this one holds ${capList(effective)}; ` +
        `installing it earlier would put sbx's remaining steps (set*id, capset, prctl, its runtime's own calls) under a filter that cannot be checked for them in advance — keep no_new_privs (${say.keepNnp})`,
    );
  }
  if (req.refusedErrno !== null) {
    const why = `${describe({ call: "seccomp(SECCOMP_SET_MODE_FILTER)", errno: req.refusedErrno })}: ${seccompHint(req.refusedErrno, f.flags, facts.kernelHasSeccomp)}`;
    if (!o.allowDegraded!.has("seccomp")) {
      throw new Refusal("seccomp", `${why}; the workload would run without the "${f.profile}" filter — accept with ${say.option("allowDegraded", "seccomp")}`, "seccomp-filter-not-installed");
    }
    degraded.push({ name: "seccomp", reason: `${why}; running without the "${f.profile}" filter (${say.option("allowDegraded", "seccomp")})` });
  }
  return { ...f, install: req.refusedErrno === null, allowedBy };
}

/**
 * The thread's state right before execve as the plan expects it: what verification compares, with
 * the sets it leaves unchecked (a root target's permitted and effective) as they stay, and the
 * filter installed last.
 */
function beforeExecve(s: ProcessState, want: Expected, filter: boolean): BeforeExecve {
  return {
    uid: want.uid,
    gid: want.gid,
    groups: want.groups,
    caps: { inheritable: want.inheritable, permitted: want.permitted ?? s.caps.permitted, effective: want.effective ?? s.caps.effective, bounding: want.bounding, ambient: want.ambient },
    securebits: want.securebits,
    noNewPrivs: want.noNewPrivs,
    seccompMode: filter ? 2 : s.seccompMode,
    seccompFilters: filter && s.seccompFilters !== null ? s.seccompFilters + 1 : s.seccompFilters,
  };
}

/** The workload's fds: stdio, LISTEN_FDS, then --preserve-fds. */
export const keptFds = (f: CallerFacts, o: ExecOptions) => f.listenFds + (o.preserveFds ?? 0);

export function planStepDown({ options: o, facts: f, identity, workload, fds, seccomp: request, say, landlock: landlockFacts = null, limits: limitFacts = null }: PlanInput): StepDownPlan {
  const s = f.state;
  const targetUid = identity ? identity.uid : s.uid.effective;
  // Without --user the caller's own ids stay; they count as root when any of them is.
  const targetIsRoot = identity ? identity.uid === 0 : [...ids3(s.uid), s.uid.fs].some((u) => u === 0);
  const caps = capTarget(o, f, targetUid === 0, say);
  const idsAlreadyTarget = identity !== null && ids3(s.uid).every((u) => u === identity.uid) && ids3(s.gid).every((g) => g === identity.gid);
  const setGroups = identity ? groupsToSet(s, identity, idsAlreadyTarget) : null;
  if (identity && !idsAlreadyTarget) permissionCheck(s, identity, setGroups);
  const notes: string[] = [];

  let securebits: number | null = null;
  if (o.securebits !== undefined) {
    try {
      securebits = applySecurebitEdits(s.securebits ?? 0, o.securebits);
    } catch (e) {
      if (e instanceof SecurebitsSpecError) throw new Refusal("usage", e.message);
      throw e;
    }
    checkSecurebits(s, securebits, o.securebits, say);
  }
  const uidChanges = identity !== null && !idsAlreadyTarget && identity.uid !== 0;
  // Requested caps (ambient ones are inheritable too) need keep-caps: without it setresuid empties
  // the permitted set, and capset can then make nothing inheritable.
  const keepCaps = uidChanges && caps.inheritable !== 0n;
  const bits = securebits ?? s.securebits ?? 0;
  if (keepCaps && (bits & securebitLockMask("keep_caps")) !== 0 && (bits & KEEP_CAPS) === 0) {
    throw new Refusal("usage", `keep_caps is locked off (securebits 0x${bits.toString(16)}), but the requested caps need it to survive the uid change`);
  }

  const allowDegraded = o.allowDegraded!;
  const degraded: Degraded[] = [];
  const toDrop = s.caps.bounding & ~caps.bounding;
  // A residual bounding set is only harmless under no_new_privs, so it counts only when it cannot be lost.
  const nnpCertain = s.noNewPrivs || (o.nnp && !allowDegraded.has("nnp"));
  let boundingInert: string | null = null;
  if (toDrop !== 0n && !f.boundingDroppable) {
    boundingInert = targetIsRoot ? null : inertBounding(s, targetUid, caps, nnpCertain, f);
    if (boundingInert === null) {
      if (!allowDegraded.has("bounding")) throw boundingRefusal(f, toDrop, say);
      if (!nnpCertain) {
        throw new Refusal(
          "usage",
          `${say.option("allowDegraded", "bounding")} needs no_new_privs: with a residual bounding set, setuid-root and file-capability binaries could regain capabilities (${o.nnp ? "do not also allow nnp to degrade" : say.keepNnp})`,
          "bounding-set-clear-blocked",
        );
      }
      degraded.push({ name: "bounding", reason: boundingRefusal(f, toDrop, say).message.replace(/; remedy:.*$/, `; running with the residual set (${say.option("allowDegraded", "bounding")})`) });
      notes.push(`bounding set ${toHex(s.caps.bounding)} kept: cannot be dropped (${f.boundingDropErrno}): DEGRADED, allowed by ${say.option("allowDegraded", "bounding")}`);
    } else {
      notes.push(`bounding set ${toHex(s.caps.bounding)} kept: cannot be dropped (${f.boundingDropErrno}) but inert, not degraded (see below)`);
    }
    // The drop would fail: the plan keeps the residual set (inert, or reported as degraded).
    caps.bounding = s.caps.bounding;
  }
  // The kernel's rules for capset and PR_CAP_AMBIENT_RAISE: a process cannot gain capabilities.
  const notHeld = (caps.ambient & ~s.caps.permitted) | (caps.inheritable & ~(s.caps.permitted | s.caps.inheritable));
  if (notHeld !== 0n) {
    throw new Refusal("caps", `cannot make ${capList(notHeld)} inheritable/ambient: not in this process's permitted set (${toHex(s.caps.permitted)}); a process cannot gain capabilities`);
  }
  const sc = request ? planSeccomp(request, o, f, caps, degraded, say) : null;
  const limits = o.rlimit?.length ? planLimits(o.rlimit, needFacts(limitFacts, "--rlimit"), s.caps.effective, (t) => say.option("rlimit", t)) : null;
  const landlock = o.landlockAccess?.length
    ? planLandlock({ options: o, facts: needFacts(landlockFacts, "--landlock-access"), state: s, effective: caps.effective, degraded, say })
    : null;
  if (landlock && landlock.handled === 0n) notes.push(`Landlock ruleset NOT enforced, this kernel cannot: DEGRADED, allowed by ${say.option("allowDegraded", "landlock")}`);
  else if (landlock?.notEnforced) notes.push(`Landlock rights not enforced, this kernel lacks them: ${rightList(landlock.notEnforced)}: DEGRADED, allowed by ${say.option("allowDegraded", "landlock")}`);
  if (landlock && request?.landlock) {
    landlock.underFilter = request.landlock;
    notes.push(request.landlock);
  }
  const umask = o.umask === undefined ? null : parseInt(o.umask, 8);

  // The operations, in the order they run.
  const ops: Op[] = [];
  const keep = Array.from({ length: keptFds(f, o) }, (_, i) => 3 + i);
  ops.push({ kind: "fds", keep, from: 3 + keep.length });
  if (o.newSession) ops.push({ kind: "setsid" });
  if (limits?.raise.length) ops.push({ kind: "rlimitRaise", limits: limits.raise });
  if (identity && idsAlreadyTarget) notes.push(`already uid ${identity.uid} gid ${identity.gid}: setres[ug]id skipped`);
  if (identity && setGroups) ops.push({ kind: "setgroups", groups: setGroups, inherited: s.groups, degradable: allowDegraded.has("groups") });
  else if (identity) notes.push(`groups ${listText(s.groups)} kept: already as required (rule: ${identity.groupsRule})`);
  if (identity && !idsAlreadyTarget) ops.push({ kind: "setresgid", gid: identity.gid });
  const drop = s.caps.bounding & ~caps.bounding;
  if (drop !== 0n) {
    const order = capsOf(drop).filter((c) => c !== CAP_SETPCAP);
    if (hasCap(drop, CAP_SETPCAP)) order.push(CAP_SETPCAP);
    ops.push({ kind: "capbsetDrop", caps: order, result: caps.bounding, degradable: allowDegraded.has("bounding") });
  } else if (boundingInert === null && toDrop === 0n) {
    notes.push(`bounding set already ${toHex(caps.bounding)}: nothing to drop`);
  }
  if (securebits !== null) ops.push({ kind: "securebits", bits: securebits });
  if (keepCaps) ops.push({ kind: "keepCaps" });
  if (identity && !idsAlreadyTarget) ops.push({ kind: "setresuid", uid: identity.uid });
  ops.push({ kind: "caps", permitted: caps.permitted, effective: caps.effective, inheritable: caps.inheritable, ambient: capsOf(caps.ambient), clearKeepCaps: keepCaps, ambientSet: f.ambientSet });
  if (o.pdeathsig !== undefined) ops.push({ kind: "pdeathsig", signal: o.pdeathsig });
  if (o.workdir !== undefined) ops.push({ kind: "chdir", dir: o.workdir });
  if (o.nnp) ops.push({ kind: "nnp", degradable: allowDegraded.has("nnp") });

  const finalUid = identity ? all(identity.uid) : s.uid;
  const finalGid = identity ? all(identity.gid) : s.gid;
  const nonZero = (x: IdSet) => [...ids3(x), x.fs].every((n) => n !== 0);
  const effective = caps.effective ?? 0n;
  const expected: Expected = {
    uid: finalUid,
    gid: finalGid,
    groups: setGroups ?? s.groups,
    bounding: caps.bounding,
    inheritable: caps.inheritable,
    ambient: caps.ambient,
    permitted: caps.permitted,
    effective: caps.effective,
    // keep-caps is switched off again after capset; execve would clear it anyway.
    securebits: (securebits ?? s.securebits ?? 0) & ~(keepCaps ? KEEP_CAPS : 0),
    noNewPrivs: s.noNewPrivs || o.nnp,
    // Getting root back is a problem only for a non-root target: uid 0 keeps CAP_SETUID/CAP_SETGID by design.
    // A gid of 0 asked for is held, not regained.
    regain: { uid: nonZero(finalUid) && !hasCap(effective, CAP_SETUID), gid: nonZero(finalUid) && nonZero(finalGid) && !hasCap(effective, CAP_SETGID) },
  };
  ops.push({ kind: "verify", expected });
  const predicted = afterExecve(beforeExecve(s, expected, sc?.install ?? false));
  ops.push({ kind: "lookup", command: workload.command, path: workload.path });
  if (limits) ops.push({ kind: "rlimits", limits: limits.set });
  if (umask !== null) ops.push({ kind: "umask", mask: umask, statusFd: fds.status });
  if (landlock && landlock.handled !== 0n) ops.push({ kind: "landlock", handled: landlock.handled, rules: landlock.rules, probes: landlock.probes, degradable: allowDegraded.has("landlock") });
  if (fds.report) ops.push({ kind: "renderReport" });
  if (sc?.install) ops.push({ kind: "seccomp", filter: sc, degradable: allowDegraded.has("seccomp"), statusFd: fds.status, after: request!.after });
  else if (sc) notes.push(`seccomp filter "${sc.profile}" NOT installed, this kernel refuses it: DEGRADED, allowed by ${say.option("allowDegraded", "seccomp")}`);
  if (fds.report) ops.push({ kind: "writeReport", ...fds.report });
  ops.push({ kind: "resetSignals" });
  ops.push({ kind: "execve", argv: workload.argv, env: workload.env });

  return {
    ops,
    identity,
    workload,
    predicted,
    degraded,
    boundingInert,
    notes,
    seccomp: sc,
    lastCap: f.lastCap,
    boundingDroppable: f.boundingDroppable,
    boundingDropErrno: f.boundingDropErrno,
    allowDegraded,
    say,
    callerFilters: s.seccompFilters,
    landlock,
    rlimits: limits?.set ?? [],
    umask,
  };
}

/** Facts prepare gathers only when the option is given; a plan without them is a bug. */
function needFacts<T>(facts: T | null, option: string): T {
  if (facts === null) throw new Error(`planning ${option} without the facts prepare gathers for it`);
  return facts;
}
