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
 * What one syscall gets. Of the conditional rules whose conditions all hold, the most restrictive
 * action wins (the kernel's order, see restrictiveness), the first in the profile on a tie; if
 * none holds, `fallback`: the action of an unconditional rule naming the syscall, or the default
 * action. So a profile can carve exceptions out of a wide allow list (ioctl allowed, but not
 * TIOCSTI), and no order of rules lets a broad allow shadow a narrower deny.
 */
export interface SyscallPolicy {
  nr: number;
  name: string;
  /** In the order to try them: most restrictive first, then profile order. */
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
  /** Unknown syscall names skipped in lenient mode, one message each. */
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

interface Draft {
  nr: number;
  name: string;
  rules: ConditionalRule[];
  fallback?: { action: Action; origin: string };
}

function syscallNames(rule: SyscallRule): string[] {
  return rule.names ?? (rule.name !== undefined ? [rule.name] : []);
}

export function resolvePolicy(profile: Profile, target: Target, options: PolicyOptions = {}): Policy {
  const errors: string[] = [];
  const warnings: string[] = [];
  const drafts = new Map<number, Draft>();

  profile.syscalls.forEach((rule, i) => {
    if (!ruleApplies(rule, target)) return;
    const origin = `syscalls[${i}]`;
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
      const draft = drafts.get(found.nr) ?? { nr: found.nr, name, rules: [] };
      drafts.set(found.nr, draft);
      if (conditions.length > 0) {
        draft.rules.push({ conditions, action, origin });
      } else if (draft.fallback && draft.fallback.action !== action) {
        errors.push(
          `${where}: ${JSON.stringify(name)} already gets ${describeAction(draft.fallback.action)} unconditionally ` +
            `from ${draft.fallback.origin}, so it cannot also get ${describeAction(action)} unconditionally`,
        );
      } else {
        draft.fallback ??= { action, origin };
      }
    });
  });
  if (errors.length > 0) throw new ProfileError(errors);

  const defaultAction = toAction(profile.defaultAction, profile.defaultErrnoRet);
  const syscalls = [...drafts.values()]
    .sort((a, b) => a.nr - b.nr)
    .map((d) => ({
      nr: d.nr,
      name: d.name,
      rules: d.rules.toSorted((a, b) => restrictiveness(a.action) - restrictiveness(b.action)),
      fallback: d.fallback?.action ?? defaultAction,
    }));
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
