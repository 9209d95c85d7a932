// With --seccomp and --landlock-access: what the filter answers Landlock's system calls, and
// which profile rule decides. prepare.ts in this folder imports this module only when both are
// asked for: the interpreter, the syscall tables and the profile's rules would otherwise load
// with every filter, built-in ones from the build-time tables included.
import { type CapMask, names } from "../../caps/mask.ts";
import { ALLOW, actionOf, describeAction, LOG } from "../../seccomp/action.ts";
import { ARCHES, runningArch } from "../../seccomp/arch.ts";
import { runner } from "../../seccomp/interp.ts";
import { rulesNaming, workloadTarget } from "../../seccomp/source.ts";
import type { SeccompFilter } from "./types.ts";

const LANDLOCK_CALLS = ["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"];

/**
 * sbx enforces its ruleset before installing the filter, so the filter cannot block that, but a
 * workload the filter denies these calls to cannot add rulesets of its own. null when the filter
 * allows all three.
 */
export function landlockUnderFilter(filter: SeccompFilter, caps: CapMask): string | null {
  const decide = runner(filter.bytes);
  const abi = ARCHES[runningArch()];
  const blocked = LANDLOCK_CALLS.flatMap((name) => {
    const ret = decide({ nr: abi.syscalls.get(name)!, arch: abi.auditArch, instructionPointer: 0n, args: [0n, 0n, 0n, 0n, 0n, 0n] }).action;
    const action = actionOf(ret);
    if (action === ALLOW || action === LOG) return [];
    const rules = rulesNaming(filter.profile, workloadTarget({ caps: names(caps) }), name);
    return [`${describeAction(ret)} to ${name}${rules.length ? ` (${rules.join(", ")})` : ""}`];
  });
  return blocked.length
    ? `the seccomp filter "${filter.profile}" answers ${blocked.join(", ")}: sbx's Landlock ruleset is enforced before the filter, so it is not affected, but the workload cannot add Landlock rulesets of its own`
    : null;
}
