// The profiles sbx ships, by name. They are ordinary Docker-format profiles, compiled like a file.
import type { ProfileInput } from "../profile.ts";
import { DEFAULT_PROFILE } from "./default.ts";
import { SANDBOX_PROFILE } from "./sandbox.ts";

export interface BuiltinProfile {
  name: string;
  summary: string;
  profile: ProfileInput;
}

export const BUILTIN_PROFILES: readonly BuiltinProfile[] = [
  {
    name: "default",
    summary: "Docker's default protections, plus TIOCSTI/TIOCLINUX denied and foreign ABIs refused",
    profile: DEFAULT_PROFILE,
  },
  {
    name: "sandbox",
    summary: "default, and no mounts, BPF, perf, ptrace, modules, user namespaces, nested filters or raw sockets",
    profile: SANDBOX_PROFILE,
  },
];

export function builtinProfile(name: string): BuiltinProfile | undefined {
  return BUILTIN_PROFILES.find((b) => b.name === name);
}
