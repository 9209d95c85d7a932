// The obviously-correct evaluation the compiled BPF is checked against: the profile's meaning,
// read straight off the JSON-shaped profile with 64-bit BigInt arithmetic, one syscall at a time.
// It shares nothing with src/seccomp but the syscall tables.
import { ARCHES, type SeccompArch } from "../../src/seccomp/arch.ts";
import type { SeccompData } from "../../src/seccomp/interp.ts";

export interface RefArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}
export interface RefRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: RefArg[];
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}
export interface RefProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  foreignAbiAction?: string;
  foreignAbiErrnoRet?: number;
  syscalls?: RefRule[];
}
export interface RefTarget {
  arch: SeccompArch;
  caps: ReadonlySet<string>;
  kernel: readonly [number, number];
}

const RET: Record<string, number> = {
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_KILL_THREAD: 0,
  SCMP_ACT_KILL: 0,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};

export function refAction(name: string, data: number | undefined): number {
  const base = RET[name]!;
  const withData = name === "SCMP_ACT_ERRNO" || name === "SCMP_ACT_TRACE";
  return withData ? (base + (data ?? 1)) >>> 0 : base;
}

const DOCKER_ARCH: Record<SeccompArch, string> = { x86_64: "amd64", aarch64: "arm64" };

function kernelAtLeast(kernel: readonly [number, number], min: string): boolean {
  const [major, minor] = min.split(".").map(Number) as [number, number];
  return kernel[0] > major || (kernel[0] === major && kernel[1] >= minor);
}

export function refApplies(rule: RefRule, t: RefTarget): boolean {
  const arch = DOCKER_ARCH[t.arch];
  const ex = rule.excludes;
  if (ex?.arches?.includes(arch)) return false;
  if (ex?.caps?.some((c) => t.caps.has(c))) return false;
  if (ex?.minKernel && kernelAtLeast(t.kernel, ex.minKernel)) return false;
  const inc = rule.includes;
  if (inc?.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) return false;
  if (inc?.caps && !inc.caps.every((c) => t.caps.has(c))) return false;
  if (inc?.minKernel && !kernelAtLeast(t.kernel, inc.minKernel)) return false;
  return true;
}

const U64 = (1n << 64n) - 1n;

export function refArgHolds(arg: RefArg, values: readonly bigint[]): boolean {
  const a = (values[arg.index] ?? 0n) & U64;
  const v = BigInt(arg.value);
  const v2 = BigInt(arg.valueTwo ?? 0);
  switch (arg.op) {
    case "SCMP_CMP_EQ":
      return a === v;
    case "SCMP_CMP_NE":
      return a !== v;
    case "SCMP_CMP_LT":
      return a < v;
    case "SCMP_CMP_LE":
      return a <= v;
    case "SCMP_CMP_GE":
      return a >= v;
    case "SCMP_CMP_GT":
      return a > v;
    case "SCMP_CMP_MASKED_EQ":
      return (a & v) === (v2 & v);
  }
  throw new Error(`unknown op ${arg.op}`);
}

const namesOf = (r: RefRule) => r.names ?? (r.name ? [r.name] : []);
/** The kernel's order of precedence: the action bits as a signed number, lower wins. */
const strictness = (ret: number) => (ret & 0xffff0000) | 0;

export function refEvaluate(p: RefProfile, t: RefTarget, d: SeccompData): number {
  const info = ARCHES[t.arch];
  const foreign = refAction(p.foreignAbiAction ?? "SCMP_ACT_KILL_PROCESS", p.foreignAbiErrnoRet);
  if (d.arch >>> 0 !== info.auditArch) return foreign;
  const nr = d.nr >>> 0;
  if (t.arch === "x86_64" && (nr & 0x40000000) !== 0 && nr !== 0xffffffff) return foreign;

  const rules = (p.syscalls ?? []).filter((r) => refApplies(r, t));
  const numberOf = (name: string) => info.syscalls.get(name);
  const defaultAction = refAction(p.defaultAction, p.defaultErrnoRet);
  // runc leaves out rules whose action is the default; the first unconditional rule decides alone.
  const naming = rules.filter((r) => namesOf(r).some((n) => numberOf(n) === nr) && refAction(r.action, r.errnoRet) !== defaultAction);
  const unconditional = naming.find((r) => (r.args ?? []).length === 0);
  if (unconditional) return refAction(unconditional.action, unconditional.errnoRet);
  // Overlapping argument rules: the most restrictive action, the first on a tie.
  const matches = naming.filter((r) => r.args!.every((a) => refArgHolds(a, d.args)));
  if (matches.length > 0) {
    const actions = matches.map((r) => refAction(r.action, r.errnoRet));
    return actions.reduce((best, a) => (strictness(a) < strictness(best) ? a : best));
  }

  const named = rules.flatMap((r) => namesOf(r).map(numberOf)).filter((n): n is number => n !== undefined);
  const lenient = ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"].includes(p.defaultAction);
  const alreadyEnosys = defaultAction === refAction("SCMP_ACT_ERRNO", 38);
  if (!lenient && !alreadyEnosys && named.length > 0 && nr > Math.max(...named)) return refAction("SCMP_ACT_ERRNO", 38);
  return defaultAction;
}
