// `--seccomp PROFILE` before any change: the filter compiled for the workload sbx is about to
// start, the non-destructive probe of whether this kernel takes it, and what sbx's own calls after
// the install do under it. Planning decides what to do with all three (plan.ts); run.ts installs
// it last. prepare.ts imports this module only when a filter is asked for: the compiler, its
// syscall tables, the built-in profiles and node:crypto would otherwise delay every start.
import { type CapMask, names } from "../../caps/mask.ts";
import { ProgramTooLargeError } from "../../seccomp/asm.ts";
import { ProfileError } from "../../seccomp/profile.ts";
import { loadSeccompProgram, profileSource, SourceError, workloadTarget } from "../../seccomp/source.ts";
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

export async function requestSeccomp(i: SeccompInput): Promise<SeccompRequest> {
  const filter = await loadSeccompFilter(i.spec, i.lenient, i.caps, i.shown);
  const probe = probeFilterInstall(filter.flags);
  return { filter, refusedErrno: probe.ok ? null : probe.errno, after: expectAfterInstall(filter, i.fds, i.shown) };
}
