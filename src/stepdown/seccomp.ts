// `--seccomp PROFILE` (gosu mode: SBX_SECCOMP): the filter compiled for the workload sbx is about
// to start, before any privilege change, and the non-destructive probe of whether this kernel
// takes it. Planning decides what to do with both (plan.ts); apply.ts installs it last.
import { createHash } from "node:crypto";
import { type CapMask, names } from "../caps/mask.ts";
import { ProgramTooLargeError } from "../seccomp/asm.ts";
import { ProfileError } from "../seccomp/profile.ts";
import { loadSeccompProgram, profileSource, SourceError, workloadTarget } from "../seccomp/source.ts";
import { errnoName } from "../sys/errno.ts";
import { probeFilterInstall } from "../sys/seccomp.ts";
import { Refusal } from "./refusal.ts";
import type { PredictedState } from "./types.ts";

/** The OCSF finding of a filter that was asked for and is not in force. */
export const SECCOMP_FINDING = "seccomp-filter-not-installed";

/** SECCOMP_FILTER_FLAG_TSYNC: see loadSeccompFilter. */
const FLAG_TSYNC = 1;

/** A compiled filter, ready to install, and what the report says about it. */
export interface SeccompFilter {
  /** As given: a built-in name or a file path. */
  profile: string;
  source: "builtin" | "json" | "bpf";
  bytes: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits to install it with. */
  flags: number;
  /** Syscall names skipped by --seccomp-lenient, one message each. */
  warnings: readonly string[];
  sha256: string;
  instructions: number;
}

export interface SeccompRequest {
  filter: SeccompFilter;
  /** Errno the install probe got; null when this kernel would take the filter. */
  refusedErrno: number | null;
}

/**
 * The capabilities Docker's includes/excludes are decided against: those the workload can hold
 * after execve — its permitted set, and without no_new_privs the bounding set too, since a
 * setuid-root or file-capability binary can raise any of those.
 */
export function workloadCaps(p: PredictedState): CapMask {
  return p.caps.permitted | (p.noNewPrivs ? 0n : p.caps.bounding);
}

/**
 * Compile `spec` for the workload (its final capabilities, this kernel and architecture). Any
 * problem with the profile is a usage refusal naming it, before any change. SECCOMP_FILTER_FLAG_TSYNC
 * is not passed on: the filter is for the thread that execs, and execve ends the others anyway;
 * synchronising sbx's runtime threads would only expose them to it.
 */
export function loadSeccompFilter(spec: string, lenient: boolean, caps: CapMask): SeccompFilter {
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
export function requestSeccomp(spec: string, lenient: boolean, draft: PredictedState): SeccompRequest {
  const filter = loadSeccompFilter(spec, lenient, workloadCaps(draft));
  const probe = probeFilterInstall(filter.flags);
  return { filter, refusedErrno: probe.ok ? null : probe.errno };
}

/** Why seccomp(SECCOMP_SET_MODE_FILTER) said no, for the one-line message. */
export function seccompHint(errno: number, flags: number): string {
  switch (errnoName(errno)) {
    case "ENOSYS":
      return "this kernel has no seccomp (CONFIG_SECCOMP off, or Linux < 3.17)";
    case "EINVAL":
      return `this kernel takes no seccomp filters (CONFIG_SECCOMP_FILTER off)${flags ? ` or not the profile's flags (0x${flags.toString(16)})` : ""}, or an outer seccomp filter answers EINVAL`;
    case "EACCES":
      return "no_new_privs is not set and CAP_SYS_ADMIN is not held, so the kernel refuses a filter";
    case "EPERM":
      return "an outer seccomp filter (or an LSM) refuses new filters";
    default:
      return "unexpected error from seccomp(2)";
  }
}
