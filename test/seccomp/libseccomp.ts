// A profile compiled by libseccomp the way runc drives it (libseccomp-export.py, Debian's
// python3-seccomp) next to the same profile compiled by sbx: every syscall number of the native
// ABI, with argument values around each rule's, through both filters in the interpreter.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAction, ENOSYS, errno } from "../../src/seccomp/action.ts";
import { ARCHES } from "../../src/seccomp/arch.ts";
import { runner, type SeccompData, type Verdict } from "../../src/seccomp/interp.ts";
import type { Target } from "../../src/seccomp/policy.ts";
import { parseProfile } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { refApplies, type RefProfile, type RefRule } from "./reference.ts";

export const PYTHON = ["/usr/bin/python3", "python3"].find(
  (py) => Bun.spawnSync([py, "-c", "import seccomp"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0,
);

const dir = mkdtempSync(join(tmpdir(), "sbx-libseccomp-"));
let exported = 0;

/** libseccomp's program for the rules of `profile` that apply to `target`, and what it could name. */
export function libseccompProgram(profile: RefProfile, target: Target, optimize?: number, timeout = 20_000) {
  if (PYTHON === undefined) throw new Error("python3-seccomp must be installed for /usr/bin/python3 (see .ci/run)");
  const out = join(dir, `${exported++}.bpf`);
  const rules = (profile.syscalls ?? []).filter((r) => refApplies(r, target));
  const input = { defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet, rules };
  const py = Bun.spawnSync([PYTHON, join(import.meta.dir, "libseccomp-export.py"), out, ...(optimize ? [String(optimize)] : [])], {
    stdin: new TextEncoder().encode(JSON.stringify(input, (_k, v) => (typeof v === "bigint" ? v.toString() : v))),
    stdout: "pipe",
    stderr: "pipe",
    timeout,
  });
  if (py.exitCode !== 0) throw new Error(`libseccomp-export.py failed (${py.exitCode ?? py.signalCode}): ${py.stderr.toString()}`);
  const { unnamed, last } = JSON.parse(py.stdout.toString()) as { unnamed: string[]; last: number };
  return { bytes: new Uint8Array(readFileSync(out)), unnamed, last };
}

const HIGH = 1n << 32n;
const U64 = (1n << 64n) - 1n;

/**
 * Argument vectors that sit on the edges of the profile's comparisons: each rule's values as they
 * are, one above and below, with high bits set or the low word alone; all of a rule's comparisons
 * at once, and one of them moved.
 */
export function argumentSets(rules: readonly RefRule[]): bigint[][] {
  const near = (v: bigint) => [v, v + 1n, v - 1n, v | HIGH, v & 0xffffffffn, v ^ HIGH, v ^ 1n].map((x) => x & U64);
  const sets = new Map<string, bigint[]>();
  const add = (args: bigint[]) => sets.set(args.join(","), args);
  add([]);
  for (const rule of rules) {
    const args = rule.args ?? [];
    const base = Array.from({ length: 6 }, () => 0n);
    for (const a of args) base[a.index] = BigInt(a.op === "SCMP_CMP_MASKED_EQ" ? (a.valueTwo ?? 0) : a.value);
    add(base);
    for (const a of args) {
      const values = [...near(BigInt(a.value)), ...near(BigInt(a.valueTwo ?? 0))];
      for (const v of values) add(base.map((x, i) => (i === a.index ? v : x)));
    }
  }
  return [...sets.values()];
}

export interface Comparison {
  agreed: number;
  disagreements: string[];
  /** Syscall numbers not compared: names libseccomp cannot resolve, and between runc's ENOSYS boundary and sbx's. */
  skipped: number[];
  /** Instructions executed for every compared input, for the benchmark: libseccomp's filter alone, without runc's stub. */
  cost: { sbx: number[]; libseccomp: number[] };
}

/**
 * Both filters decide every number 0..600 of the native ABI (or `numbers`) with every argument
 * set. runc puts a stub before libseccomp's filter that answers ENOSYS above the last number
 * libseccomp resolved.
 */
export function compareWithLibseccomp(
  profile: RefProfile,
  target: Target,
  options: { optimize?: number; numbers?: readonly number[]; argSets?: bigint[][]; skip?: (data: SeccompData) => boolean; timeout?: number } = {},
): Comparison {
  const lib = libseccompProgram(profile, target, options.optimize, options.timeout);
  const info = ARCHES[target.arch];
  const ours = runner(compileProfile(parseProfile(profile), target).bytes);
  const theirs = runner(lib.bytes);
  const runc = (data: SeccompData): Verdict => (data.nr > lib.last ? { action: errno(ENOSYS), executed: 0 } : theirs(data));
  const rules = (profile.syscalls ?? []).filter((r) => refApplies(r, target));
  const ourLast = Math.max(-1, ...rules.flatMap((r) => r.names ?? []).map((n) => info.syscalls.get(n) ?? -1));
  const skipped = new Set<number>(lib.unnamed.map((n) => info.syscalls.get(n)).filter((n) => n !== undefined));
  for (let nr = lib.last + 1; nr <= ourLast; nr++) skipped.add(nr);
  const argSets = options.argSets ?? argumentSets(rules);
  const result: Comparison = { agreed: 0, disagreements: [], skipped: [...skipped].sort((a, b) => a - b), cost: { sbx: [], libseccomp: [] } };
  const numbers = options.numbers ?? Array.from({ length: 601 }, (_, nr) => nr);
  for (const nr of numbers) {
    if (skipped.has(nr)) continue;
    for (const args of argSets) {
      const data: SeccompData = { nr, arch: info.auditArch, instructionPointer: 0n, args };
      if (options.skip?.(data)) continue;
      const [mine, other] = [ours(data), runc(data)];
      result.cost.sbx.push(mine.executed);
      result.cost.libseccomp.push(theirs(data).executed);
      if (mine.action === other.action) result.agreed++;
      else result.disagreements.push(`${nr}(${args.join(",")}): sbx ${describeAction(mine.action)}, libseccomp+runc ${describeAction(other.action)}`);
    }
  }
  return result;
}
