// `--seccomp PROFILE` (gosu mode: SBX_SECCOMP): the filter compiled for the workload sbx is about
// to start, before any privilege change, and the non-destructive probe of whether this kernel
// takes it. Planning decides what to do with both (plan.ts); apply.ts installs it last.
// prepare.ts imports this module only when a filter is asked for: the compiler, its syscall tables
// and the built-in profiles take about 1.5 ms to load, which would otherwise delay every start.
import { type CapMask, names } from "../caps/mask.ts";
import { ProgramTooLargeError } from "../seccomp/asm.ts";
import { ProfileError } from "../seccomp/profile.ts";
import { loadSeccompProgram, profileSource, SourceError, workloadTarget } from "../seccomp/source.ts";
import { probeFilterInstall } from "../sys/seccomp.ts";
import { Refusal } from "./refusal.ts";
import { type SeccompFilter, type SeccompRequest, workloadCaps } from "./seccomp.ts";
import type { PredictedState } from "./types.ts";

/** SECCOMP_FILTER_FLAG_TSYNC: see loadSeccompFilter. */
const FLAG_TSYNC = 1;

/**
 * Compile `spec` for the workload (its final capabilities, this kernel and architecture). Any
 * problem with the profile is a usage refusal naming it, before any change. SECCOMP_FILTER_FLAG_TSYNC
 * is not passed on: the filter is for the thread that execs, and execve ends the others anyway;
 * synchronising sbx's runtime threads would only expose them to it.
 */
async function loadSeccompFilter(spec: string, lenient: boolean, caps: CapMask): Promise<SeccompFilter> {
  // Imported here, not statically: an ESM bundle links every static import at start, and
  // node:crypto alone would add about 1 ms to every sbx start, filter or not.
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
    if (e instanceof ProfileError || e instanceof SourceError) throw new Refusal("usage", `--seccomp: ${e.message}`);
    if (e instanceof ProgramTooLargeError) throw new Refusal("usage", `--seccomp: ${spec}: ${e.message}`);
    throw e;
  }
}

/** The filter for the workload of `draft` (a plan made without it: a filter changes no capability). */
export async function requestSeccomp(spec: string, lenient: boolean, draft: PredictedState): Promise<SeccompRequest> {
  const filter = await loadSeccompFilter(spec, lenient, workloadCaps(draft));
  const probe = probeFilterInstall(filter.flags);
  return { filter, refusedErrno: probe.ok ? null : probe.errno };
}
