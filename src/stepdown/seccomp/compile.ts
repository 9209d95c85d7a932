// `--seccomp PROFILE` compiled now: a file, a built-in with --seccomp-lenient, or a built-in for a
// workload whose capabilities or kernel the build-time tables (seccomp/builtin/compiled.ts) do not
// hold. prepare.ts in this folder imports this module only then: the compiler, its syscall tables,
// the built-in profiles, the interpreter and node:crypto would otherwise delay every start.
import { type CapMask, names } from "../../caps/mask.ts";
import { ProgramTooLargeError } from "../../seccomp/asm.ts";
import { ProfileError } from "../../seccomp/profile.ts";
import { loadSeccompProgram, profileSource, SourceError, workloadTarget } from "../../seccomp/source.ts";
import { SECCOMP_FILTER_FLAG_TSYNC } from "../../sys/seccomp.ts";
import { Refusal } from "../refusal.ts";
import { expectAfterInstall } from "./afterInstall.ts";
import type { SeccompInput } from "./prepare.ts";
import type { AfterInstall, SeccompFilter } from "./types.ts";


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
      flags: program.flags & ~SECCOMP_FILTER_FLAG_TSYNC,
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

/** The filter, compiled, and sbx's own calls after its install decided in the interpreter. */
export async function compileFilter(i: SeccompInput): Promise<{ filter: SeccompFilter; after: AfterInstall }> {
  const filter = await loadSeccompFilter(i.spec, i.lenient, i.caps, i.shown);
  return { filter, after: expectAfterInstall(filter, i.fds, i.shown) };
}
