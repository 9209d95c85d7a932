// Shared by the seccomp tests: Docker's default profile from shared/ (read, never copied), and a
// way to ask a compiled filter about one syscall.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeAction } from "../../src/seccomp/action.ts";
import { ARCHES, type SeccompArch } from "../../src/seccomp/arch.ts";
import { runner } from "../../src/seccomp/interp.ts";
import type { Target } from "../../src/seccomp/policy.ts";
import { parseProfile, readProfileJson, type Profile } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";

export const DOCKER_DEFAULT_PATH = join(import.meta.dir, "..", "..", "..", "shared", "fixtures", "seccomp", "docker-default.json");

/** containers/common's profile (Podman, Buildah, CRI-O), from Debian's golang-github-containers-common (.ci/run installs it). */
export const CONTAINERS_COMMON = "/usr/share/containers/seccomp.json";

export const dockerDefaultJson = (): unknown => readProfileJson(readFileSync(DOCKER_DEFAULT_PATH, "utf8"));
export const dockerDefault = (): Profile => parseProfile(dockerDefaultJson());

export function target(arch: SeccompArch = "x86_64", caps: string[] = [], kernel: [number, number] = [6, 18]): Target {
  return { arch, caps: new Set(caps), kernel };
}

/** `ask("socket", 40n)` → "ERRNO(1)", for the native ABI of the target. */
export function asker(profile: Profile, t: Target) {
  const decide = runner(compileProfile(profile, t).bytes);
  const info = ARCHES[t.arch];
  return (syscall: string | number, ...args: bigint[]) => {
    const nr = typeof syscall === "number" ? syscall : info.syscalls.get(syscall);
    if (nr === undefined) throw new Error(`${syscall} is not a syscall on ${t.arch}`);
    return describeAction(decide({ nr, arch: info.auditArch, instructionPointer: 0n, args }).action);
  };
}
