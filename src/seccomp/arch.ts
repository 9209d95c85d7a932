// The architectures sbx compiles filters for, and the syscall numbers of each ABI.
import { AARCH64_AUDIT_ARCH, AARCH64_SYSCALLS } from "./tables/aarch64.ts";
import { NAMES_ON_OTHER_ARCHES } from "./tables/elsewhere.ts";
import { X86_64_AUDIT_ARCH, X86_64_SYSCALLS } from "./tables/x86_64.ts";

export type SeccompArch = "x86_64" | "aarch64";
export const SECCOMP_ARCHES: readonly SeccompArch[] = ["x86_64", "aarch64"];

/** arch/x86/include/uapi/asm/unistd.h: an x86_64 task making an x32 syscall sets this bit in nr. */
export const X32_SYSCALL_BIT = 0x40000000;

export interface ArchInfo {
  arch: SeccompArch;
  /** seccomp_data.arch of the native ABI. */
  auditArch: number;
  syscalls: ReadonlyMap<string, number>;
  /** Name Docker profiles use in `includes.arches` / `excludes.arches` for this architecture. */
  dockerName: string;
  /** x86_64 only: syscall numbers carrying X32_SYSCALL_BIT come from the x32 ABI. */
  hasX32: boolean;
}

export const ARCHES: Readonly<Record<SeccompArch, ArchInfo>> = {
  x86_64: { arch: "x86_64", auditArch: X86_64_AUDIT_ARCH, syscalls: X86_64_SYSCALLS, dockerName: "amd64", hasX32: true },
  aarch64: { arch: "aarch64", auditArch: AARCH64_AUDIT_ARCH, syscalls: AARCH64_SYSCALLS, dockerName: "arm64", hasX32: false },
};

const NODE_ARCH: Readonly<Record<string, SeccompArch>> = { x64: "x86_64", arm64: "aarch64" };

/** The architecture sbx itself runs on, which is the one a filter it installs must be built for. */
export function runningArch(): SeccompArch {
  const arch = NODE_ARCH[process.arch];
  if (!arch) throw new Error(`seccomp filters are built for x86_64 and aarch64 only, not ${process.arch}`);
  return arch;
}

export function isSeccompArch(s: string): s is SeccompArch {
  return (SECCOMP_ARCHES as readonly string[]).includes(s);
}

/** How a syscall name stands for the target: its number, absent from this ABI, or unknown to Linux. */
export type NameLookup = { kind: "number"; nr: number } | { kind: "elsewhere" } | { kind: "unknown" };

/** Names are checked against every ABI Linux has, so a multi-arch profile is not a list of typos. */
export function lookupSyscall(arch: SeccompArch, name: string): NameLookup {
  const nr = ARCHES[arch].syscalls.get(name);
  if (nr !== undefined) return { kind: "number", nr };
  const known = NAMES_ON_OTHER_ARCHES.has(name) || SECCOMP_ARCHES.some((a) => ARCHES[a].syscalls.has(name));
  return known ? { kind: "elsewhere" } : { kind: "unknown" };
}

const namesByNumber = new Map<SeccompArch, Map<number, string>>();

export function syscallName(arch: SeccompArch, nr: number): string | undefined {
  let byNumber = namesByNumber.get(arch);
  if (!byNumber) {
    byNumber = new Map([...ARCHES[arch].syscalls].map(([name, n]) => [n, name]));
    namesByNumber.set(arch, byNumber);
  }
  return byNumber.get(nr);
}

/** The architecture whose native ABI has this seccomp_data.arch value. */
export function archOfAudit(auditArch: number): SeccompArch | undefined {
  return SECCOMP_ARCHES.find((a) => ARCHES[a].auditArch === auditArch >>> 0);
}
