// Where a filter comes from: `--seccomp NAME|FILE.json|FILE.bpf`. This is what `sbx exec` and
// `sbx seccomp` call; everything below it is pure.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { runningArch, type SeccompArch } from "./arch.ts";
import { decode } from "./bpf.ts";
import { builtinProfile, BUILTIN_PROFILES } from "./builtin/index.ts";
import { compilePolicy, type SeccompProgram } from "./compile.ts";
import { validate } from "./interp.ts";
import { kernelVersion } from "./kernelVersion.ts";
import { resolvePolicy, ruleApplies, syscallNames, type PolicyOptions, type Target } from "./policy.ts";
import { parseProfile, ProfileError, readProfileJson, type Profile } from "./profile.ts";

export type ProfileSource =
  | { kind: "builtin"; name: string }
  | { kind: "json"; path: string }
  | { kind: "bpf"; path: string };

/** A profile argument that names nothing usable, or a file that cannot be read. */
export class SourceError extends Error {}

/** What a `--seccomp` argument names; throws SourceError when it names nothing usable. */
export function profileSource(spec: string): ProfileSource {
  if (builtinProfile(spec)) return { kind: "builtin", name: spec };
  if (spec.endsWith(".json")) return { kind: "json", path: spec };
  if (spec.endsWith(".bpf")) return { kind: "bpf", path: spec };
  const names = BUILTIN_PROFILES.map((b) => b.name).join(", ");
  throw new SourceError(`${JSON.stringify(spec)} is neither a built-in profile (${names}) nor a .json or .bpf file`);
}

function readSource(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SourceError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Errors in a file name the file first: `p.json: syscalls[3].action: unknown action "X"`. */
function inFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ProfileError) throw new ProfileError(e.issues.map((i) => `${path}: ${i}`));
    throw e;
  }
}

/** Where in the file the profile is: "" for a profile file, "linux.seccomp" in an OCI config.json. */
type Place = "" | "linux.seccomp";

/** `syscalls[3].action: …` → `linux.seccomp.syscalls[3].action: …` for a profile inside a config.json. */
function placed(place: Place, message: string): string {
  if (place === "") return message;
  return message.startsWith("profile:") ? `${place}:${message.slice("profile:".length)}` : `${place}.${message}`;
}

/** A whole OCI config.json (it has ociVersion) stands for its linux.seccomp object. */
function profilePart(json: unknown): { profile: unknown; place: Place } {
  if (typeof json !== "object" || json === null || !("ociVersion" in json)) return { profile: json, place: "" };
  const seccomp = (json as { linux?: { seccomp?: unknown } }).linux?.seccomp;
  if (seccomp === undefined) throw new ProfileError(["linux.seccomp: missing (this OCI config.json has no seccomp profile)"]);
  return { profile: seccomp, place: "linux.seccomp" };
}

/** The validated profile a built-in name or a .json file stands for, and where in the file it is. */
function loadProfile(source: Exclude<ProfileSource, { kind: "bpf" }>): { profile: Profile; place: Place } {
  if (source.kind === "builtin") return { profile: parseProfile(builtinProfile(source.name)!.profile), place: "" };
  const text = readSource(source.path).toString("utf8");
  return inFile(source.path, () => {
    const { profile, place } = profilePart(readProfileJson(text));
    try {
      return { profile: parseProfile(profile), place };
    } catch (e) {
      if (e instanceof ProfileError) throw new ProfileError(e.issues.map((i) => placed(place, i)));
      throw e;
    }
  });
}

/** `root` is where the profile sits in its file ("linux.seccomp." in an OCI config.json), for messages. */
export function compileProfile(profile: Profile, target: Target, options: PolicyOptions = {}, root = ""): SeccompProgram {
  return compilePolicy(resolvePolicy(profile, target, options, root));
}

/**
 * The filter to install for `--seccomp SPEC`, built for `target` (the workload's architecture,
 * final capabilities and kernel). A .bpf file is taken as it is, after the checks the kernel
 * would make; it carries no install flags. A .json file is a profile, or an OCI config.json whose
 * linux.seccomp is used.
 */
export function loadSeccompProgram(spec: string, target: Target, options: PolicyOptions = {}): SeccompProgram {
  const source = profileSource(spec);
  if (source.kind === "bpf") {
    const bytes = new Uint8Array(readSource(source.path));
    try {
      validate(decode(bytes));
    } catch (e) {
      throw new SourceError(`${source.path}: the kernel would refuse this program: ${(e as Error).message}`);
    }
    return { bytes, flags: 0, warnings: [] };
  }
  const { profile, place } = loadProfile(source);
  const compile = () => compileProfile(profile, target, options, place === "" ? "" : `${place}.`);
  return source.kind === "json" ? inFile(source.path, compile) : compile();
}

/** "6.18.44-fc-v769" → [6, 18]; Docker compares minKernel on these two numbers only. */
export function parseKernelRelease(text: string): [number, number] {
  const version = kernelVersion(text);
  if (!version) throw new SourceError(`cannot read a kernel version from ${JSON.stringify(text)}`);
  return version;
}

/**
 * The running kernel and architecture, and the given capabilities (none unless said), named as
 * Docker names them: "CAP_SYS_ADMIN" ("cap_sys_admin" from caps/mask.ts names() is fine too).
 */
export function workloadTarget(over: { arch?: SeccompArch; caps?: Iterable<string>; kernel?: readonly [number, number] } = {}): Target {
  return {
    arch: over.arch ?? runningArch(),
    caps: new Set([...(over.caps ?? [])].map((c) => c.toUpperCase())),
    kernel: over.kernel ?? parseKernelRelease(release()),
  };
}

/**
 * The profile rules that name `syscall` and apply to `target` ("syscalls[12]", in the file's
 * terms), or ["defaultAction"] when none does; [] for a .bpf program, which has no rules to name.
 */
export function rulesNaming(spec: string, target: Target, syscall: string): string[] {
  const source = profileSource(spec);
  if (source.kind === "bpf") return [];
  const { profile, place } = loadProfile(source);
  const root = place === "" ? "" : `${place}.`;
  const named = profile.syscalls.flatMap((rule, i) => (ruleApplies(rule, target) && syscallNames(rule).includes(syscall) ? [`${root}syscalls[${i}]`] : []));
  return named.length ? named : [`${root}defaultAction`];
}
