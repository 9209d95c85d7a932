// From a validated profile to the policy for one workload: Docker's includes/excludes evaluated
// against the workload, syscall names turned into the target ABI's numbers, actions into
// SECCOMP_RET_* values. The compiler turns a Policy into BPF; nothing here knows BPF.
import {
  actionOf,
  ALLOW,
  describeAction,
  ENOSYS,
  EPERM,
  errno,
  KILL_PROCESS,
  KILL_THREAD,
  LOG,
  restrictiveness,
  RET_ALLOW,
  RET_LOG,
  RET_TRACE,
  trace,
  TRAP,
  type Action,
} from "./action.ts";
import { ARCHES, lookupSyscall, type SeccompArch } from "./arch.ts";
import { DecisionBuilder, predsOf, results, satisfiable } from "./decision.ts";
import { filterFlags, ProfileError, type ActionName, type Operator, type Profile, type RuleCondition, type SyscallRule } from "./profile.ts";

/** The workload the filter is for: Docker's includes/excludes are decided against it. */
export interface Target {
  arch: SeccompArch;
  /** Its capabilities after the step-down, as "CAP_SYS_ADMIN" (Docker tests the bounding set). */
  caps: ReadonlySet<string>;
  /** [major, minor] of the kernel it runs on. */
  kernel: readonly [number, number];
}

export interface ArgCondition {
  arg: number;
  op: Operator;
  value: bigint;
  valueTwo: bigint;
}

export interface ConditionalRule {
  /** All must hold (AND). */
  conditions: readonly ArgCondition[];
  action: Action;
  /** JSON path of the profile rule, e.g. "syscalls[18]". */
  origin: string;
}

/**
 * What one syscall gets, by the rule Docker, Podman and CRI-O profiles have in production (runc
 * with libseccomp): a rule whose action is the default action is left out; the first rule naming
 * the syscall without argument conditions decides alone, whatever comes before or after it;
 * otherwise the argument rules whose conditions all hold decide, the most restrictive action
 * winning (the kernel's order, see restrictiveness; the first in the profile on a tie), and the
 * default action when none holds. (libseccomp's own answer for overlapping argument rules depends
 * on the shape of its tree, or it refuses them; this one does not.)
 */
export interface SyscallPolicy {
  nr: number;
  name: string;
  /** In the order to try them: most restrictive first, then profile order. Empty when an unconditional rule decides. */
  rules: readonly ConditionalRule[];
  fallback: Action;
}

export interface Policy {
  arch: SeccompArch;
  defaultAction: Action;
  /** For syscalls of another ABI: i386 or x32 on x86_64, arm on aarch64. */
  foreignAbiAction: Action;
  /** Native syscall numbers above this one get ERRNO(ENOSYS) instead of the default action. */
  enosysAbove: number | null;
  /** Ascending by number. */
  syscalls: readonly SyscallPolicy[];
  /** SECCOMP_FILTER_FLAG_* bits to install with. */
  flags: number;
  /** Unknown syscall names skipped in lenient mode, and rule entries that never take effect: one message each. */
  warnings: readonly string[];
}

export interface PolicyOptions {
  /** Skip syscall names no Linux architecture has, instead of failing. */
  lenient?: boolean;
}

function toAction(name: ActionName, data: number | undefined): Action {
  switch (name) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return TRAP;
    // runc's defaults when errnoRet is absent, for both.
    case "SCMP_ACT_ERRNO":
      return errno(data ?? EPERM);
    case "SCMP_ACT_TRACE":
      return trace(data ?? EPERM);
    case "SCMP_ACT_LOG":
      return LOG;
    case "SCMP_ACT_ALLOW":
      return ALLOW;
  }
}

const atLeast = (kernel: readonly [number, number], min: readonly [number, number]) =>
  kernel[0] > min[0] || (kernel[0] === min[0] && kernel[1] >= min[1]);

/**
 * Docker's rule selection (moby/profiles seccomp_linux.go): excluded if the arch is listed in
 * excludes.arches, if the workload has any of excludes.caps, or if the kernel is at least
 * excludes.minKernel; included only if the arch is in includes.arches (when given), the workload
 * has all of includes.caps, and the kernel is at least includes.minKernel.
 */
export function ruleApplies(rule: { includes?: RuleCondition; excludes?: RuleCondition }, target: Target): boolean {
  const arch = ARCHES[target.arch].dockerName;
  const listed = (arches: readonly string[] | undefined) => arches?.includes(arch) ?? false;
  const ex = rule.excludes;
  if (ex) {
    if (listed(ex.arches)) return false;
    if (ex.caps?.some((c) => target.caps.has(c))) return false;
    if (ex.minKernel && atLeast(target.kernel, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !listed(inc.arches)) return false;
    if (inc.caps && !inc.caps.every((c) => target.caps.has(c))) return false;
    if (inc.minKernel && !atLeast(target.kernel, inc.minKernel)) return false;
  }
  return true;
}

/**
 * runc's rule for syscalls newer than the profile (libcontainer/seccomp/patchbpf): unless the
 * default action lets calls through anyway (ALLOW, LOG, TRACE) or already is ERRNO(ENOSYS),
 * every native syscall number above the highest one the profile names, in any applicable rule
 * and whatever its action, returns ENOSYS. A libc that tries a new syscall (clone3, openat2,
 * faccessat2) then falls back to the old one instead of failing on EPERM.
 */
function enosysBoundary(defaultAction: Action, namedNumbers: readonly number[]): number | null {
  const permissive = [RET_ALLOW, RET_LOG, RET_TRACE].includes(actionOf(defaultAction));
  if (permissive || defaultAction === errno(ENOSYS) || namedNumbers.length === 0) return null;
  return Math.max(...namedNumbers);
}

/** One syscall name of one rule: `syscalls[3].names[1]`. */
interface Entry extends ConditionalRule {
  name: string;
  /** Rule index, then name index: the profile's order. */
  at: readonly [number, number];
}

export function syscallNames(rule: SyscallRule): string[] {
  return rule.names ?? (rule.name !== undefined ? [rule.name] : []);
}

/** The syscall's policy from its entries in profile order (see SyscallPolicy). */
function decideSyscall(nr: number, entries: readonly Entry[], defaultAction: Action): SyscallPolicy {
  const effective = entries.filter((e) => e.action !== defaultAction);
  const unconditional = effective.find((e) => e.conditions.length === 0);
  return {
    nr,
    name: entries[0]!.name,
    rules: unconditional ? [] : effective.toSorted((a, b) => restrictiveness(a.action) - restrictiveness(b.action)),
    fallback: unconditional?.action ?? defaultAction,
  };
}

const predsOfConditions = (conditions: readonly ArgCondition[]) => conditions.flatMap((c) => predsOf(c.arg, c.op, c.value, c.valueTwo));

/** Whether some syscall the conditions match gets the syscall policy's answer `action`. */
function reaches(s: SyscallPolicy, e: ConditionalRule): boolean {
  const { conditions, action } = e;
  if (s.rules.length === 0) return s.fallback === action;
  const own = predsOfConditions(conditions);
  const HIT = 1;
  // An argument rule that nothing with another action comes before decides wherever it matches.
  const at = s.rules.indexOf(e);
  if (at >= 0 && s.rules.slice(0, at).every((r) => r.action === action)) return satisfiable(own);
  const rules = [...s.rules.map((r) => ({ preds: [...own, ...predsOfConditions(r.conditions)], result: r.action === action ? HIT : 0 })), { preds: own, result: s.fallback === action ? HIT : 0 }];
  return results(new DecisionBuilder().build(rules, 0)).has(HIT);
}

/** One line for an entry that never takes effect, naming what decides instead; undefined when it does take effect. */
function deadEntry(e: Entry, entries: readonly Entry[], s: SyscallPolicy, defaultAction: Action): string | undefined {
  if (reaches(s, e)) return undefined;
  const what = `${e.origin}: ${JSON.stringify(e.name)} never gets ${describeAction(e.action)} from this rule`;
  const unconditional = entries.find((x) => x.action !== defaultAction && x.conditions.length === 0);
  if (unconditional) {
    return `${what}: ${unconditional.origin} gives it ${describeAction(unconditional.action)} without conditions, and that rule alone decides (as runc with libseccomp does)`;
  }
  const overlapping = (r: ConditionalRule) => satisfiable([...predsOfConditions(e.conditions), ...predsOfConditions(r.conditions)]);
  const shadow = s.rules.find((r) => r.action !== e.action && overlapping(r));
  const instead = shadow ? `${shadow.origin} gives ${describeAction(shadow.action)} wherever this rule matches (the most restrictive matching rule wins)` : undefined;
  if (e.action === defaultAction) return `${what}: its action is the default action, which runc leaves out, and ${instead ?? "other rules decide wherever it matches"}`;
  return `${what}: ${instead ?? "its argument conditions never all hold"}`;
}

/** `root` is where the profile sits in its file ("linux.seccomp." in an OCI config.json), for messages. */
export function resolvePolicy(profile: Profile, target: Target, options: PolicyOptions = {}, root = ""): Policy {
  const errors: string[] = [];
  const warnings: string[] = [];
  const byNumber = new Map<number, Entry[]>();

  profile.syscalls.forEach((rule, i) => {
    if (!ruleApplies(rule, target)) return;
    const origin = `${root}syscalls[${i}]`;
    const action = toAction(rule.action, rule.errnoRet);
    const conditions = rule.args.map(({ index, op, value, valueTwo }) => ({ arg: index, op, value, valueTwo }));
    syscallNames(rule).forEach((name, j) => {
      const where = rule.names ? `${origin}.names[${j}]` : `${origin}.name`;
      const found = lookupSyscall(target.arch, name);
      if (found.kind === "elsewhere") return; // a syscall of another architecture: nothing to filter here
      if (found.kind === "unknown") {
        const message = `unknown syscall ${JSON.stringify(name)}: no Linux architecture has it`;
        if (options.lenient) warnings.push(`${where}: skipped ${message}`);
        else errors.push(`${where}: ${message} (--seccomp-lenient skips such names)`);
        return;
      }
      const entries = byNumber.get(found.nr) ?? [];
      entries.push({ name, action, conditions, origin: where, at: [i, j] });
      byNumber.set(found.nr, entries);
    });
  });
  if (errors.length > 0) throw new ProfileError(errors);

  const defaultAction = toAction(profile.defaultAction, profile.defaultErrnoRet);
  const syscalls = [...byNumber].sort(([a], [b]) => a - b).map(([nr, entries]) => decideSyscall(nr, entries, defaultAction));
  const dead = syscalls.flatMap((s) => {
    const entries = byNumber.get(s.nr)!;
    return entries.flatMap((e) => {
      const text = deadEntry(e, entries, s, defaultAction);
      return text === undefined ? [] : [{ at: e.at, text }];
    });
  });
  dead.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  warnings.push(...dead.map((d) => d.text));
  return {
    arch: target.arch,
    defaultAction,
    foreignAbiAction: toAction(profile.foreignAbiAction, profile.foreignAbiErrnoRet),
    enosysAbove: enosysBoundary(defaultAction, syscalls.map((s) => s.nr)),
    syscalls,
    flags: filterFlags(profile),
    warnings,
  };
}
