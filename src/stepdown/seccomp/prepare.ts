// `--seccomp PROFILE` before any change: the filter compiled for the workload sbx is about to
// start, the non-destructive probe of whether this kernel takes it, and what sbx's own calls after
// the install do under it. Planning decides what to do with all three (plan.ts); run.ts installs
// it last. prepare.ts imports this module only when a filter is asked for: the compiler, its
// syscall tables, the built-in profiles and node:crypto would otherwise delay every start.
import { type CapMask, names } from "../../caps/mask.ts";
import { ProgramTooLargeError } from "../../seccomp/asm.ts";
import { ProfileError } from "../../seccomp/profile.ts";
import { loadSeccompProgram, profileSource, rulesNaming, SourceError, workloadTarget } from "../../seccomp/source.ts";
import { ALLOW, actionOf, describeAction, LOG } from "../../seccomp/action.ts";
import { ARCHES, runningArch } from "../../seccomp/arch.ts";
import { runner } from "../../seccomp/interp.ts";
import { probeFilterInstall } from "../../sys/seccomp.ts";
import { Refusal } from "../refusal.ts";
import { expectAfterInstall } from "./afterInstall.ts";
import type { SeccompFilter, SeccompRequest } from "./types.ts";

/** SECCOMP_FILTER_FLAG_TSYNC: see loadSeccompFilter. */
const FLAG_TSYNC = 1;

/**
 * Compile `spec` for the workload (its final capabilities, this kernel and architecture). Any
 * problem with the profile is a usage refusal naming it, before any change. SECCOMP_FILTER_FLAG_TSYNC
 * is not passed on: the filter is for the thread that execs, and execve ends the others anyway;
 * synchronising sbx's runtime threads would only expose them to it.
 */
async function loadSeccompFilter(spec: string, lenient: boolean, caps: CapMask, shown: string): Promise<SeccompFilter> {
  const { createHash } = await import("node:crypto");
  try {
    const source = profileSource(spec);
    const program = loadSeccompProgram(spec, workloadTarget({ caps: names(caps) }), { lenient });
    return {
      profile: spec,
      source: source.kind,
      bytes: program.bytes,
      flags: program.flags & ~FLAG_TSYNC,
      warnings: program.warnings,
      sha256: createHash("sha256").update(program.bytes).digest("hex"),
      instructions: program.bytes.length / 8,
    };
  } catch (e) {
    if (e instanceof ProfileError || e instanceof SourceError) throw new Refusal("usage", `${shown}: ${e.message}`);
    if (e instanceof ProgramTooLargeError) throw new Refusal("usage", `${shown}: ${spec}: ${e.message}`);
    throw e;
  }
}

export interface SeccompInput {
  spec: string;
  lenient: boolean;
  /** The capabilities the workload can hold after execve (a filter changes none of them). */
  caps: CapMask;
  fds: { status: number; report: number | null; restoresFlags: boolean };
  /** How the front end names the option: "--seccomp" or "SBX_SECCOMP". */
  shown: string;
}

const LANDLOCK_CALLS = ["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"];

/**
 * What the filter answers Landlock's system calls, and which profile rule decides: sbx enforces
 * its ruleset before installing the filter, so the filter cannot block that, but a workload the
 * filter denies them to cannot add rulesets of its own. null when the filter allows all three.
 */
function landlockUnderFilter(filter: SeccompFilter, caps: CapMask): string | null {
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

export async function requestSeccomp(i: SeccompInput): Promise<SeccompRequest> {
  const filter = await loadSeccompFilter(i.spec, i.lenient, i.caps, i.shown);
  const probe = probeFilterInstall(filter.flags);
  return { filter, refusedErrno: probe.ok ? null : probe.errno, after: expectAfterInstall(filter, i.fds, i.shown), landlock: landlockUnderFilter(filter, i.caps) };
}
