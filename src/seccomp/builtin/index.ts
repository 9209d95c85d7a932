// The profiles sbx ships, by name. They are ordinary Docker-format profiles, compiled like a file.
import type { ProfileInput } from "../profile.ts";
import { defaultProfile } from "./default.ts";
import { sandboxProfile } from "./sandbox.ts";

export interface BuiltinProfile {
  name: string;
  summary: string;
  readonly profile: ProfileInput;
}

/** Made on first use: the MASKED_EQ alternatives take a few milliseconds, which a start with the other one need not pay. */
function builtin(name: string, summary: string, make: () => ProfileInput): BuiltinProfile {
  let made: ProfileInput | undefined;
  return {
    name,
    summary,
    get profile() {
      return (made ??= make());
    },
  };
}

export const BUILTIN_PROFILES: readonly BuiltinProfile[] = [
  builtin("default", "Docker's default protections, plus TIOCSTI/TIOCLINUX denied and foreign ABIs refused", defaultProfile),
  builtin("sandbox", "default, and no mounts, BPF, perf, ptrace, modules, user namespaces, nested filters or raw sockets", sandboxProfile),
];

export function builtinProfile(name: string): BuiltinProfile | undefined {
  return BUILTIN_PROFILES.find((b) => b.name === name);
}
