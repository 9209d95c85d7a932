// `--seccomp PROFILE` before any change: the filter for the workload sbx is about to start, the
// non-destructive probe of whether this kernel takes it, and what sbx's own calls after the install
// do under it. Planning decides what to do with all three (plan.ts); run.ts installs it last.
// prepare.ts imports this module only when a filter is asked for. A built-in comes from the tables
// compiled at build time (seccomp/builtin/compiled.ts) when they hold this workload; anything else
// is compiled now, by compile.ts in this folder, which is imported only then.
import type { CapMask } from "../../caps/mask.ts";
import { compiledBuiltin } from "../../seccomp/builtin/compiled.ts";
import { kernelVersion } from "../../seccomp/kernelVersion.ts";
import { kernelRelease } from "../../sys/process.ts";
import { probeFilterInstall, SECCOMP_FILTER_FLAG_TSYNC } from "../../sys/seccomp.ts";
import type { AfterInstall, SeccompFilter, SeccompRequest } from "./types.ts";


export interface SeccompInput {
  spec: string;
  lenient: boolean;
  /** The capabilities the workload can hold after execve (a filter changes none of them). */
  caps: CapMask;
  fds: { status: number; report: number | null; restoresFlags: boolean };
  /** How the front end names the option: "--seccomp" or "SBX_SECCOMP". */
  shown: string;
  /** --landlock-access too: say what the filter answers Landlock's calls. */
  landlock: boolean;
}

/** The running kernel's [major, minor], as the compiler reads it; undefined leaves it to the compiler to say why it cannot be read. */
function runningKernel(): [number, number] | undefined {
  const r = kernelRelease();
  return r.ok ? kernelVersion(r.value) : undefined;
}

/** The built-in compiled at build time for this workload, if the tables hold it. */
async function fromTables(i: SeccompInput): Promise<{ filter: SeccompFilter; after: AfterInstall } | undefined> {
  if (i.lenient) return undefined;
  const kernel = runningKernel();
  const c = kernel && (await compiledBuiltin(i.spec, i.caps, kernel));
  if (!c) return undefined;
  const filter: SeccompFilter = { profile: i.spec, source: "builtin", bytes: c.bytes, flags: c.flags & ~SECCOMP_FILTER_FLAG_TSYNC, warnings: c.warnings, sha256: c.sha256, instructions: c.bytes.length / 8 };
  return { filter, after: c.after };
}

export async function requestSeccomp(i: SeccompInput): Promise<SeccompRequest> {
  const { filter, after } = (await fromTables(i)) ?? (await (await import("./compile.ts")).compileFilter(i));
  const probe = probeFilterInstall(filter.flags);
  const landlock = i.landlock ? (await import("./landlockUnderFilter.ts")).landlockUnderFilter(filter, i.caps) : null;
  return { filter, refusedErrno: probe.ok ? null : probe.errno, after, landlock };
}
