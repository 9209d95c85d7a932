// The runner: executes a plan's operations, exactly those, in array order, on this thread, and
// ends in execve. The only effectful file of the step-down; every call it makes goes through the
// Kernel interface (kernel.ts binds it to libc; the unit tests bind it to a fake). After the first
// change, nothing returns into ordinary control flow: a failed operation stops the list at once
// and runStepDown writes one line and _exits with the step's code; a bug that throws is caught
// per operation and _exits too (219), so half-dropped credentials never reach other code.
import { capBit, type CapMask } from "../caps/mask.ts";
import type { CommandLookup } from "../identity/lookPath.ts";
import type { Probed } from "../state/kernel.ts";
import type { ProcessState } from "../state/types.ts";
import type { ThreadCaps } from "../sys/capset.ts";
import { EACCES, EPERM } from "../sys/errno.ts";
import type { Limit } from "../sys/rlimit.ts";
import { limitText, ociName, umaskText } from "../limits/rlimit.ts";
import type { AccessProbe } from "./landlock/types.ts";
import type { SysFailure, SysResult } from "../sys/result.ts";
import type { ByteString } from "../text/bytes.ts";
import { degradationOf } from "../render/messages.ts";
import type { Degraded } from "./degrade.ts";
import { compareState, shortOf } from "./expect.ts";
import type { Expected, Op, OpOf } from "./ops.ts";
import type { StepDownPlan } from "./plan.ts";
import { filterCount, outcomeProblem, statusProblems } from "./seccomp/inForce.ts";

/** The calls the runner makes, each returning the errno of a failure. */
export interface Kernel {
  setCloexec(fd: number, on: boolean): SysResult;
  cloexecFrom(first: number): SysResult;
  setsid(): SysResult;
  setgroups(groups: readonly number[]): SysResult;
  setresgid(gid: number): SysResult;
  setresuid(uid: number): SysResult;
  capbsetDrop(cap: number): SysResult<number>;
  capbsetRead(cap: number): SysResult<number>;
  setSecurebits(bits: number): SysResult<number>;
  setKeepCaps(on: boolean): SysResult<number>;
  capget(): SysResult<ThreadCaps>;
  capset(c: ThreadCaps): SysResult<number>;
  ambientClearAll(): SysResult<number>;
  ambientRaise(cap: number): SysResult<number>;
  setPdeathsig(signal: number): SysResult<number>;
  chdir(dir: ByteString): SysResult;
  setNoNewPrivs(): SysResult<number>;
  /** This thread's state, cross-checked (state/self.ts), reading the status fd opened before any change. */
  readState(): Probed<ProcessState>;
  lookPath(command: ByteString, path: ByteString): CommandLookup;
  getRlimit(resource: number): SysResult<Limit>;
  setRlimit(resource: number, limit: Limit): SysResult;
  /** umask(2): returns the previous mask. */
  setUmask(mask: number): SysResult<number>;
  landlockCreateRuleset(handled: bigint): SysResult<number>;
  landlockAddRule(rulesetFd: number, access: bigint, parentFd: number): SysResult;
  landlockRestrictSelf(rulesetFd: number): SysResult;
  /** One access of a Landlock probe (open, or open then ioctl); its result is all that counts. */
  probeAccess(p: AccessProbe): SysResult;
  installFilter(bytes: Uint8Array, flags: number): SysResult;
  getSeccompMode(): SysResult<number>;
  readStatus(fd: number): SysResult<ByteString>;
  write(fd: number, bytes: Uint8Array): SysResult;
  restoreFlags(fd: number, flags: number): SysResult;
  resetSignals(): SysResult;
  /** After a failed execve: SIGPIPE and SIGXFSZ ignored again, so the message about it cannot kill sbx. */
  ignoreWriteSignals(): void;
  /** Build execve's buffers now; calling the result makes the one system call. */
  prepareExecve(path: ByteString, argv: readonly ByteString[], env: readonly ByteString[]): () => SysResult<never>;
}

export interface Sinks {
  /** A degradation the operator allowed, as it happens (a warning line, an OCSF finding). */
  degraded(d: Degraded): void;
  /** The report for what has run and is about to (the filter), the state read back and the command found. */
  report(plan: StepDownPlan, ran: readonly Op[], degraded: readonly Degraded[], state: ProcessState, execPath: ByteString, observed: Observed): Uint8Array;
}

/** What a probe answered as the target user, before and after restrict_self ("ok", or the errno's name). */
export interface ProbeResult {
  probe: AccessProbe;
  before: string;
  after: string | null;
  /** false: the access failed before the ruleset too (the target user cannot make it), so it shows nothing. */
  conclusive: boolean;
}

/** What the runner read back besides the thread's state: for the report. */
export interface Observed {
  /** The limits read back with prlimit(2) after setting them. */
  rlimits: Array<{ name: string; soft: bigint; hard: bigint }>;
  /** The umask read back. */
  umask: number | null;
  /** null: no ruleset was to be enforced; enforced false: a refused call, allowed by --allow-degraded landlock. */
  landlock: { enforced: boolean; probes: ProbeResult[] } | null;
}

export type Failure =
  /** An operation's system call failed, and no degradation was allowed. `cap`: the one it was about; `residual`: the bounding set left. */
  | { kind: "call"; op: Op; failure: SysFailure; cap?: number; residual?: CapMask; limit?: string }
  /** The state read back (or the filter after its install) is not what the plan says, or cannot be read. */
  | { kind: "verify"; op: Op; problems: string[] }
  | { kind: "lookup"; lookup: Exclude<CommandLookup, { kind: "found" }> }
  | { kind: "exec"; path: ByteString; failure: SysFailure }
  | { kind: "internal"; message: string };

/** How execute ends: a failure, or (only with a fake kernel) a successful execve. */
export type Outcome = Failure | { kind: "replaced"; path: ByteString };

interface Run {
  plan: StepDownPlan;
  k: Kernel;
  sinks: Sinks;
  ran: Op[];
  degraded: Degraded[];
  /** The verify operation's expectation, adjusted for the degradations met while running. */
  expected: Expected | null;
  state: ProcessState | null;
  execPath: ByteString | null;
  exec: (() => SysResult<never>) | null;
  report: Uint8Array | null;
  observed: Observed;
}

type Step = Failure | null;

type Extra = { cap?: number; residual?: CapMask; limit?: string };

const callFailed = (op: Op, failure: SysResult<unknown>, extra: Extra = {}): Failure | null =>
  failure.ok ? null : { kind: "call", op, failure, ...extra };

function degrade(run: Run, d: Degraded): void {
  run.degraded.push(d);
  run.sinks.degraded(d);
}

/** A failure the operator allowed by name: recorded, announced, and the run goes on. */
const degradeOn = (run: Run, op: Op, failure: SysFailure, extra: Extra = {}) => degrade(run, degradationOf(op, failure, extra, run.plan.say));

/** Each operation's effect. Returns the failure, or null to go on. */
const EXECUTE: { [K in Op["kind"]]: (op: OpOf<K>, run: Run) => Step } = {
  fds(op, { k }) {
    for (const fd of [0, 1, 2, ...op.keep]) {
      const r = k.setCloexec(fd, false);
      if (!r.ok) return callFailed(op, r);
    }
    return callFailed(op, k.cloexecFrom(op.from));
  },
  setsid: (op, { k }) => callFailed(op, k.setsid()),
  setgroups(op, run) {
    const r = run.k.setgroups(op.groups);
    if (r.ok || !op.degradable) return callFailed(op, r);
    run.expected = shortOf(run.expected!, { name: "groups", groups: op.inherited });
    degradeOn(run, op, r);
    return null;
  },
  setresgid: (op, { k }) => callFailed(op, k.setresgid(op.gid)),
  /**
   * EPERM for a cap that is already absent is fine (capctl's ensure_dropped); any other refusal stops
   * the drop: fatal, or with --allow-degraded bounding the set read back is what the workload keeps.
   */
  capbsetDrop(op, run) {
    for (const cap of op.caps) {
      const r = run.k.capbsetDrop(cap);
      if (r.ok) continue;
      const read = run.k.capbsetRead(cap);
      if (r.errno === EPERM && read.ok && read.value === 0) continue;
      const residual = residualBounding(run);
      if (!op.degradable) return callFailed(op, r, { cap, residual });
      run.expected = shortOf(run.expected!, { name: "bounding", residual });
      degradeOn(run, op, r, { cap, residual });
      return null;
    }
    return null;
  },
  securebits: (op, { k }) => callFailed(op, k.setSecurebits(op.bits)),
  keepCaps: (op, { k }) => callFailed(op, k.setKeepCaps(true)),
  setresuid: (op, { k }) => callFailed(op, k.setresuid(op.uid)),
  caps(op, { k }) {
    const now = k.capget();
    if (!now.ok) return callFailed(op, now);
    const next = { permitted: op.permitted ?? now.value.permitted, effective: op.effective ?? now.value.effective, inheritable: op.inheritable };
    const steps: Array<[() => SysResult<unknown>, number?]> = [
      [() => k.capset(next)],
      ...(op.clearKeepCaps ? [[() => k.setKeepCaps(false)] as [() => SysResult<unknown>]] : []),
      ...(op.ambientSet ? [[() => k.ambientClearAll()] as [() => SysResult<unknown>], ...op.ambient.map((cap): [() => SysResult<unknown>, number] => [() => k.ambientRaise(cap), cap])] : []),
    ];
    for (const [step, cap] of steps) {
      const r = step();
      if (!r.ok) return callFailed(op, r, cap === undefined ? {} : { cap });
    }
    return null;
  },
  rlimitRaise(op, { k }) {
    for (const l of op.limits) {
      const r = k.setRlimit(l.resource, { soft: l.soft, hard: l.hard });
      if (!r.ok) return callFailed(op, r, { limit: ociName(l.name) });
    }
    return null;
  },
  pdeathsig: (op, { k }) => callFailed(op, k.setPdeathsig(op.signal)),
  chdir: (op, { k }) => callFailed(op, k.chdir(op.dir)),
  nnp(op, run) {
    const r = run.k.setNoNewPrivs();
    if (r.ok || !op.degradable) return callFailed(op, r);
    // It could not be set, so it was not set before either.
    run.expected = shortOf(run.expected!, { name: "nnp", noNewPrivs: false });
    degradeOn(run, op, r);
    return null;
  },
  verify(op, run) {
    const want = run.expected!;
    const read = run.k.readState();
    if (!read.ok) return { kind: "verify", op, problems: [read.problem] };
    const problems = [...compareState(want, read.value), ...regainRoot(want, run.k)];
    if (problems.length) return { kind: "verify", op, problems };
    run.state = read.value;
    return null;
  },
  lookup(op, run) {
    const found = run.k.lookPath(op.command, op.path);
    if (found.kind !== "found") return { kind: "lookup", lookup: found };
    run.execPath = found.path;
    const execve = run.plan.ops.find((o): o is OpOf<"execve"> => o.kind === "execve")!;
    run.exec = run.k.prepareExecve(found.path, execve.argv, execve.env);
    return null;
  },
  /** Each limit set, then each read back: prlimit(2) must answer exactly what was set. */
  rlimits(op, run) {
    for (const l of op.limits) {
      const r = run.k.setRlimit(l.resource, { soft: l.soft, hard: l.hard });
      if (!r.ok) return callFailed(op, r, { limit: ociName(l.name) });
    }
    const problems: string[] = [];
    for (const l of op.limits) {
      const got = run.k.getRlimit(l.resource);
      if (!got.ok) problems.push(`cannot read ${ociName(l.name)} back: ${got.call}: ${got.errno.name}`);
      else {
        run.observed.rlimits.push({ name: ociName(l.name), ...got.value });
        if (got.value.soft !== l.soft || got.value.hard !== l.hard) {
          problems.push(`${ociName(l.name)} is ${limitText(got.value.soft)}:${limitText(got.value.hard)} (soft:hard), expected ${limitText(l.soft)}:${limitText(l.hard)}`);
        }
      }
    }
    return problems.length ? { kind: "verify", op, problems: [`resource limits differ from the plan, not executing: ${problems.join("; ")}`] } : null;
  },
  /** umask, then read back: a second umask(2) returns the mask now in force, and procfs must agree. */
  umask(op, run) {
    const set = run.k.setUmask(op.mask);
    if (!set.ok) return callFailed(op, set);
    const again = run.k.setUmask(op.mask);
    const problems: string[] = [];
    if (!again.ok) problems.push(`cannot read the umask back: ${again.call}: ${again.errno.name}`);
    else if (again.value !== op.mask) problems.push(`umask(2) answers ${umaskText(again.value)}, expected ${umaskText(op.mask)}`);
    const text = run.k.readStatus(op.statusFd);
    const line = text.ok ? /^Umask:\s*([0-7]+)$/m.exec(text.value)?.[1] : undefined;
    if (!text.ok) problems.push(`cannot read /proc/thread-self/status: ${text.call}: ${text.errno.name}`);
    else if (line !== undefined && parseInt(line, 8) !== op.mask) problems.push(`/proc/thread-self/status shows Umask: ${line}, expected ${umaskText(op.mask)}`);
    if (problems.length) return { kind: "verify", op, problems: [`the umask differs from the plan, not executing: ${problems.join("; ")}`] };
    run.observed.umask = op.mask;
    return null;
  },
  /**
   * Probe as the target user; create the ruleset, add each rule, enforce it on this thread; probe
   * again. A refused call is fatal, or with --allow-degraded landlock a reported degradation (the
   * workload then runs without the ruleset). A probe that answers otherwise than planned once the
   * ruleset is in force is a verify failure: Landlock lists no ruleset back, so its accesses are the proof.
   */
  landlock(op, run) {
    const { k } = run;
    const before = op.probes.map((p) => ({ probe: p, r: k.probeAccess(p) }));
    const refused = (r: SysFailure) => {
      if (!op.degradable) return callFailed(op, r);
      degradeOn(run, op, r);
      run.observed.landlock = { enforced: false, probes: [] };
      return null;
    };
    const ruleset = k.landlockCreateRuleset(op.handled);
    if (!ruleset.ok) return refused(ruleset);
    for (const rule of op.rules) {
      const r = k.landlockAddRule(ruleset.value, rule.access, rule.fd);
      if (!r.ok) return refused(r);
    }
    const enforced = k.landlockRestrictSelf(ruleset.value);
    if (!enforced.ok) return refused(enforced);
    const text = (r: SysResult) => (r.ok ? "ok" : r.errno.name);
    const denied = (r: SysResult) => !r.ok && r.errno === EACCES;
    const results: ProbeResult[] = before.map(({ probe, r }) => {
      const conclusive = !denied(r) && (probe.how.startsWith("ioctl") || r.ok);
      return { probe, before: text(r), after: conclusive ? text(k.probeAccess(probe)) : null, conclusive };
    });
    run.observed.landlock = { enforced: true, probes: results };
    const problems = results.flatMap(({ probe, before: b, after }) => {
      if (after === null) return [];
      const nowDenied = after === "EACCES";
      if (probe.expect === "denied" && !nowDenied) return [`${probe.right} on ${probe.target} still answers ${after} (before: ${b}), the ruleset should deny it with EACCES`];
      if (probe.expect === "allowed" && (nowDenied || after !== b)) return [`${probe.right} on ${probe.target} answers ${after} (before: ${b}), the ruleset allows it`];
      return [];
    });
    return problems.length ? { kind: "verify", op, problems: [`the Landlock ruleset is not in force as planned, not executing: ${problems.join("; ")}`] } : null;
  },
  renderReport(_op, run) {
    run.report = run.sinks.report(run.plan, run.ran, run.degraded, run.state!, run.execPath!, run.observed);
    return null;
  },
  /**
   * The last change: install the filter on this thread, then prove it is in force with exactly the
   * calls decided before any change. A refused install is fatal, or with --allow-degraded seccomp
   * a reported degradation (the report, built before, is rebuilt: the filter is not in force).
   */
  seccomp(op, run) {
    const r = run.k.installFilter(op.filter.bytes, op.filter.flags);
    if (!r.ok) {
      if (!op.degradable) return callFailed(op, r);
      degradeOn(run, op, r);
      if (run.report) run.report = run.sinks.report(run.plan, run.ran, run.degraded, run.state!, run.execPath!, run.observed);
      return null;
    }
    const mode = run.k.getSeccompMode();
    const problems = [outcomeProblem("prctl(PR_GET_SECCOMP)", op.after.mode, mode)];
    if (op.after.mode.kind === "runs" && mode.ok && mode.value !== 2) problems.push(`prctl(PR_GET_SECCOMP) answers ${mode.value}, expected 2 (filter)`);
    const text = run.k.readStatus(op.statusFd);
    problems.push(outcomeProblem("pread64 of /proc/thread-self/status", op.after.status, text.ok ? { ok: true, value: text.value.length } : text));
    if (text.ok && op.after.status.kind === "runs") problems.push(...statusProblems(text.value, run.state?.seccompFilters ?? null));
    const differs = problems.filter((p): p is string => p !== null);
    return differs.length ? { kind: "verify", op, problems: [`the seccomp filter "${op.filter.profile}" is not in force as planned, not executing: ${differs.join("; ")}`] } : null;
  },
  writeReport(op, run) {
    const r = run.k.write(op.fd, run.report!);
    if (op.restoreFlags !== null) run.k.restoreFlags(op.fd, op.restoreFlags); // best effort: the fd is close-on-exec
    return callFailed(op, r);
  },
  resetSignals: (op, { k }) => callFailed(op, k.resetSignals()),
  execve(_op, run) {
    const r = run.exec!();
    if (r.ok) return null; // only a fake kernel returns from a successful execve
    run.k.ignoreWriteSignals();
    return { kind: "exec", path: run.execPath!, failure: r };
  },
};

/** Which caps are still in the bounding set; an unreadable one counts as present. */
function residualBounding(run: Run): CapMask {
  let m = 0n;
  for (let c = 0; c <= run.plan.lastCap; c++) {
    const r = run.k.capbsetRead(c);
    if (!r.ok || r.value === 1) m |= capBit(c);
  }
  return m;
}

/**
 * Try to get root back, where the plan says a non-root target must not be able to: both calls
 * must fail with EPERM, and success is fatal.
 */
function regainRoot(want: Expected, k: Kernel): string[] {
  const out: string[] = [];
  const probe = (what: "uid" | "gid", r: SysResult) => {
    if (r.ok) out.push(`setres${what[0]}id(0) succeeded: the process can ${what === "uid" ? "become root" : "switch to gid 0"} again`);
    else if (r.errno !== EPERM) out.push(`setres${what[0]}id(0) failed with ${r.errno.name}, expected EPERM`);
  };
  if (want.regain.uid) probe("uid", k.setresuid(0));
  if (want.regain.gid) probe("gid", k.setresgid(0));
  return out;
}

/** Run the plan's operations in order; returns only when one fails (or, with a fake kernel, when execve "succeeded"). */
export function execute(plan: StepDownPlan, k: Kernel, sinks: Sinks): Outcome {
  const verify = plan.ops.find((o): o is OpOf<"verify"> => o.kind === "verify");
  const observed: Observed = { rlimits: [], umask: null, landlock: null };
  const run: Run = { plan, k, sinks, ran: [], degraded: [], expected: verify?.expected ?? null, state: null, execPath: null, exec: null, report: null, observed };
  // Degradations the planner foresaw (and the operator allowed) are announced before any change.
  for (const d of plan.degraded) degrade(run, d);
  for (const op of plan.ops) {
    let failed: Step;
    try {
      failed = (EXECUTE[op.kind] as (op: Op, run: Run) => Step)(op, run);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      return { kind: "internal", message: `internal error in ${op.kind}, nothing was executed: ${e.message}` };
    }
    if (failed) return failed;
    run.ran.push(op);
  }
  return { kind: "replaced", path: run.execPath! };
}

/** Execute the plan; it never returns: the workload replaces sbx, or `fail` writes one line and exits. */
export function runStepDown(plan: StepDownPlan, k: Kernel, sinks: Sinks, fail: (f: Failure) => never): never {
  const out = execute(plan, k, sinks);
  return fail(out.kind === "replaced" ? { kind: "internal", message: "execve returned success" } : out);
}
