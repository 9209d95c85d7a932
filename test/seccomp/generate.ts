// Generated profiles and inputs, for the differential tests against the reference reading and
// against libseccomp, and for scripts/bench-seccomp.ts.
import { ARCHES, type SeccompArch } from "../../src/seccomp/arch.ts";
import type { RefArg, RefProfile, RefRule } from "./reference.ts";

/** mulberry32: small, seeded, reproducible. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  const u32 = () => int(0x100000000);
  return { int, pick, chance, u32, u64: () => (BigInt(u32()) << 32n) | BigInt(u32()) };
}
export type Rng = ReturnType<typeof prng>;

const ACTIONS = [
  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_ALLOW",
];
const OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
export const CAPS = ["CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_SYS_PTRACE"];
export const KERNELS: [number, number][] = [[4, 4], [5, 10], [6, 18]];
const HIGH = 1n << 32n;
const U64_MAX = (1n << 64n) - 1n;

/** Values where comparisons on two 32-bit halves go wrong if they are done wrong. */
export function interestingValue(r: Rng): bigint {
  const small = BigInt(r.int(64));
  return r.pick([
    0n, 1n, small, 0xffffffffn, HIGH, HIGH | small, HIGH - 1n, U64_MAX, 1n << 63n, 0x7e020000n, r.u64(),
    (r.u64() & ~0xffffffffn) | small,
  ]);
}

function action(r: Rng): Pick<RefRule, "action" | "errnoRet"> {
  const name = r.pick(ACTIONS);
  const data = name === "SCMP_ACT_ERRNO" ? r.pick([undefined, 1, 13, 38, 4095]) : name === "SCMP_ACT_TRACE" ? r.pick([undefined, 0, 7, 65535]) : undefined;
  return data === undefined ? { action: name } : { action: name, errnoRet: data };
}

function args(r: Rng): RefArg[] {
  const indices = [0, 1, 2, 3, 4, 5].filter(() => r.chance(0.25)).slice(0, 3);
  return indices.map((index) => {
    const op = r.pick(OPS);
    const arg: RefArg = { index, value: interestingValue(r), op };
    if (op === "SCMP_CMP_MASKED_EQ") arg.valueTwo = r.chance(0.5) ? 0n : interestingValue(r);
    return arg;
  });
}

function condition(r: Rng) {
  const c: NonNullable<RefRule["includes"]> = {};
  if (r.chance(0.4)) c.caps = CAPS.filter(() => r.chance(0.4));
  if (r.chance(0.3)) c.arches = [r.pick(["amd64", "arm64", "x86", "s390x"])];
  if (r.chance(0.3)) c.minKernel = r.pick(["4.8", "5.10", "6.1", "7.0"]);
  return c;
}

export function generateProfile(r: Rng, arch: SeccompArch): RefProfile {
  const all = [...ARCHES[arch].syscalls.keys()];
  // A few names used by several rules, so rules overlap; now and then one of another arch.
  const pool = Array.from({ length: 3 + r.int(10) }, () => r.pick(all));
  if (r.chance(0.2)) pool.push(arch === "x86_64" ? "_llseek" : "arch_prctl");
  let unconditional: Pick<RefRule, "action" | "errnoRet"> | undefined;
  const syscalls: RefRule[] = Array.from({ length: 1 + r.int(8) }, () => {
    const rule: RefRule = { names: pool.filter(() => r.chance(0.3)).slice(0, 4), ...action(r) };
    if (rule.names!.length === 0) rule.names = [r.pick(pool)];
    if (r.chance(0.6)) rule.args = args(r);
    // Unconditional rules that agree and that disagree: the first one decides.
    else if (unconditional && r.chance(0.5)) Object.assign(rule, unconditional);
    else unconditional = { action: rule.action, errnoRet: rule.errnoRet };
    if (r.chance(0.15)) rule.includes = condition(r);
    if (r.chance(0.15)) rule.excludes = condition(r);
    return rule;
  });
  const def = action(r);
  const profile: RefProfile = { defaultAction: def.action, syscalls };
  if (def.errnoRet !== undefined) profile.defaultErrnoRet = def.errnoRet;
  if (r.chance(0.3)) {
    const foreign = action(r);
    profile.foreignAbiAction = foreign.action;
    if (foreign.errnoRet !== undefined) profile.foreignAbiErrnoRet = foreign.errnoRet;
  }
  return profile;
}

export function argValues(r: Rng, profile: RefProfile): bigint[] {
  const used = (profile.syscalls ?? []).flatMap((s) => s.args ?? []).flatMap((a) => [BigInt(a.value), BigInt(a.valueTwo ?? 0)]);
  const near = (v: bigint) =>
    r.pick([v, v + 1n, v - 1n, v ^ HIGH, v & 0xffffffffn, (r.u64() & ~0xffffffffn) | (v & 0xffffffffn), v | HIGH]) & U64_MAX;
  return Array.from({ length: 6 }, () => (used.length > 0 && r.chance(0.8) ? near(r.pick(used)) : interestingValue(r)));
}

export function syscallNumbers(r: Rng, profile: RefProfile, arch: SeccompArch): number[] {
  const table = ARCHES[arch].syscalls;
  const named = (profile.syscalls ?? []).flatMap((s) => s.names ?? []).map((n) => table.get(n)).filter((n) => n !== undefined);
  const max = Math.max(0, ...named);
  const base = [...named, ...named.map((n) => n + 1), ...named.map((n) => n - 1), 0, max + 1, 0xffffffff, r.int(600)];
  const x32 = arch === "x86_64" ? [0x40000000, 0x40000000 | r.pick(named.length ? named : [0]), 0x7fffffff] : [];
  return [...base, ...x32].filter((n) => n >= 0);
}

/** AUDIT_ARCH_I386 on x86_64, AUDIT_ARCH_ARM on aarch64. */
export const foreignArch = (arch: SeccompArch) => (arch === "x86_64" ? 0x40000003 : 0x40000028);

