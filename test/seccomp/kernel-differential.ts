// The kernel differential: classic-BPF programs, random and hand-picked, installed for real by
// kernel-harness.c, and what the kernel did compared with what sbx's validator and interpreter say
// it does. Used by kernel-differential.test.ts (bounded) and scripts/seccomp-kernel-diff.ts (long).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAction } from "../../src/seccomp/action.ts";
import type { Instruction } from "../../src/seccomp/bpf.ts";
import { InvalidProgramError, run, validate, type SeccompData } from "../../src/seccomp/interp.ts";
import { prng, type Rng } from "./generate.ts";

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const HIGH = 1n << 32n;

/** A system call the harness makes: harmless whatever its arguments, with a result that does not vary. */
export interface Call {
  abi: 64 | 32;
  nr: number;
  args: readonly bigint[];
}

const ARGS: readonly bigint[][] = [
  [0n, 0n, 0n, 0n, 0n, 0n],
  [1n, 2n, 3n, 4n, 5n, 6n],
  [HIGH | 0x5412n, 0xffffffffn, HIGH, 0x7e020000n, (1n << 64n) - 1n, 1n << 63n],
  [0x20008n, HIGH - 1n, 38n, HIGH | 40n, 0x80000000n, 0x7fff0000n],
];
/** getuid, getgid, getppid, sched_yield, read(-1), a number no ABI has, -1 (a tracer's skip), an x32 getuid; i386 getuid and getppid through int 0x80. */
export const CALLS: readonly Call[] = [
  ...[102, 104, 110, 24].flatMap((nr) => ARGS.map((args) => ({ abi: 64 as const, nr, args }))),
  { abi: 64, nr: 0, args: [(1n << 64n) - 1n, 0n, 0n, 0n, 0n, 0n] },
  { abi: 64, nr: 1000, args: ARGS[2]! },
  { abi: 64, nr: 0xffffffff, args: ARGS[1]! },
  { abi: 64, nr: 0x40000066, args: ARGS[0]! },
  { abi: 32, nr: 24, args: [0n, 1n, 2n, 3n, 4n, 5n] },
  { abi: 32, nr: 64, args: [0xffffffffn, 0x5412n, 40n, 0n, 0n, 0n] },
];

const I = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const RET = 0x06;
const RET_A = 0x16;
const ALLOW = 0x7fff0000;
const ERRNO = (n: number) => (0x00050000 | n) >>> 0;

/** Programs the kernel's checker or runtime treats specially; each is also a case in interp.test.ts. */
export const TARGETED: readonly [string, Instruction[]][] = [
  ["lsh by X = 32 keeps A (the count is masked)", [I(0x20, 0), I(0x01, 32), I(0x6c), I(0x15, 0, 0, 1), I(RET, ERRNO(1)), I(RET, ALLOW)]],
  ["rsh by X = 33 shifts by 1", [I(0x20, 0), I(0x01, 33), I(0x7c), I(RET_A)]],
  ["lsh by X = 0xffffffff shifts by 31", [I(0x00, 3), I(0x01, 0xffffffff), I(0x6c), I(RET_A)]],
  ["division by a zero X returns 0 (KILL_THREAD)", [I(0x20, 0), I(0x01, 0), I(0x3c), I(RET, ALLOW)]],
  ["neg", [I(0x20, 16), I(0x84), I(RET_A)]],
  ["ld #len is 64", [I(0x80), I(0x15, 64, 0, 1), I(RET, ALLOW), I(RET, ERRNO(5))]],
  ["ldx #len is 64", [I(0x81), I(0x87), I(0x15, 64, 0, 1), I(RET, ALLOW), I(RET, ERRNO(5))]],
  ["ret ALLOW; ld #0 (last instruction not a return)", [I(RET, ALLOW), I(0x00, 0)]],
  ["ret ALLOW; ja +100; ret (a dead jump out of range)", [I(RET, ALLOW), I(0x05, 100), I(RET, ALLOW)]],
  ["ret ALLOW; ld M[0]; ret a (the walk follows the fall-through after a return)", [I(RET, ALLOW), I(0x60, 0), I(RET_A)]],
  ["st M[0]; ret ALLOW; ld M[0]; ret a (what was valid before a return stays valid)", [I(0x02, 0), I(RET, ALLOW), I(0x60, 0), I(RET_A)]],
  ["ja +1; st M[0]; ld M[0]; ret a (written only on a path that is never taken)", [I(0x05, 1), I(0x02, 0), I(0x60, 0), I(RET_A)]],
  ["ja +0; ld M[0]: a jump's target gets what was valid at the jump", [I(0x05, 0), I(0x60, 0), I(RET_A)]],
  ["ja 0xffffffff", [I(0x05, 0xffffffff), I(RET, ALLOW)]],
  ["jeq to the last instruction", [I(0x15, 1, 1, 0), I(RET, ERRNO(2)), I(RET, ALLOW)]],
  ["jeq one past the last instruction", [I(0x15, 1, 2, 0), I(RET, ERRNO(2)), I(RET, ALLOW)]],
  ["mod by k (classic BPF has it, seccomp does not)", [I(0x94, 3), I(RET, ALLOW)]],
  ["mod by x", [I(0x01, 3), I(0x9c), I(RET, ALLOW)]],
  ["halfword load", [I(0x28, 0), I(RET, ALLOW)]],
  ["byte load", [I(0x30, 0), I(RET, ALLOW)]],
  ["indirect load", [I(0x40, 0), I(RET, ALLOW)]],
  ["ldx msh", [I(0xb1, 0), I(RET, ALLOW)]],
  ["ret x", [I(0x0e), I(RET, ALLOW)]],
  ["an ancillary load (SKF_AD_OFF + SKF_AD_PROTOCOL)", [I(0x20, 0xfffff000), I(RET, ALLOW)]],
  ["load at 64", [I(0x20, 64), I(RET, ALLOW)]],
  ["load at 2", [I(0x20, 2), I(RET, ALLOW)]],
  ["lsh by 31", [I(0x20, 0), I(0x64, 31), I(RET_A)]],
  ["lsh by 32", [I(0x20, 0), I(0x64, 32), I(RET_A)]],
  ["div by the constant 0", [I(0x34, 0), I(RET, ALLOW)]],
  ["scratch word 16", [I(0x02, 16), I(RET, ALLOW)]],
  ["4096 instructions", Array.from({ length: 4096 }, () => I(RET, ALLOW))],
  ["4097 instructions", Array.from({ length: 4097 }, () => I(RET, ALLOW))],
  ["ERRNO data above MAX_ERRNO", [I(RET, ERRNO(5000))]],
  ["ERRNO(0) returns 0", [I(RET, ERRNO(0))]],
  ["TRAP with data", [I(0x20, 0), I(0x15, 102, 0, 1), I(RET, 0x00030000 | 0xbeef), I(RET, ALLOW)]],
  ["TRACE without a tracer, USER_NOTIF without a listener", [I(0x20, 0), I(0x15, 102, 0, 1), I(RET, 0x7ff00007), I(RET, 0x7fc00000)]],
  ["unknown actions", [I(0x20, 0), I(0x25, 100, 0, 1), I(RET, 0x00010000), I(RET, 0x7ffe0000)]],
  ["the instruction pointer and i386 arguments", [I(0x20, 4), I(0x15, AUDIT_ARCH_I386, 0, 2), I(0x20, 8), I(RET_A), I(0x20, 12), I(RET_A)]],
];

function constants(r: Rng): number {
  const words = CALLS.flatMap((c) => [c.nr, ...c.args.flatMap((a) => [Number(a & 0xffffffffn), Number(a >> 32n)])]);
  return r.pick([
    () => r.pick(words),
    () => r.pick([0, 1, 2, 31, 32, 33, 64, 0xffffffff, 0x80000000, ALLOW, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x40000000]),
    () => r.u32(),
  ])() >>> 0;
}

const ACTIONS = [
  ALLOW, ALLOW, 0x7ffc0000, ERRNO(0), ERRNO(1), ERRNO(13), ERRNO(4095), ERRNO(4096), ERRNO(0xffff), 0x00030000, 0x00030007,
  0x00000000, 0x80000000, 0x7ff00000, 0x7ff00005, 0x7fc00000, 0x00010000, 0x7ffe0000, 0x7fff0001, 0x80050001,
];
const ALU = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0];
const JUMPS = [0x10, 0x20, 0x30, 0x40];

/**
 * A random program, nearly always one the kernel takes: jumps within range, a return at the end,
 * scratch words mostly read after a write; now and then something the kernel refuses.
 */
export function randomProgram(r: Rng): Instruction[] {
  const length = 2 + r.int(22);
  const wrong = r.chance(0.12); // let some checks fail
  const stored = new Set<number>();
  const program: Instruction[] = [];
  for (let i = 0; i < length - 1; i++) {
    const room = length - 2 - i; // instructions after the next one
    const choice = r.int(100);
    const offset = () => (wrong && r.chance(0.1) ? room + 1 + r.int(3) : r.int(Math.min(room, 6) + 1));
    if (choice < 22) program.push(I(0x20, wrong && r.chance(0.1) ? r.pick([2, 64, 0xfffff000]) : 4 * r.int(16)));
    else if (choice < 30) program.push(I(r.pick([0x00, 0x01]), constants(r)));
    else if (choice < 33) program.push(I(r.pick([0x80, 0x81])));
    else if (choice < 38) {
      const k = wrong && r.chance(0.2) ? 16 : r.int(16);
      program.push(I(r.pick([0x02, 0x03]), k));
      stored.add(k);
    } else if (choice < 42) {
      const k = stored.size > 0 && !(wrong && r.chance(0.5)) ? r.pick([...stored]) : r.int(16);
      program.push(I(r.pick([0x60, 0x61]), k));
    } else if (choice < 55) {
      const op = r.pick(ALU);
      const x = r.chance(0.4);
      let k = constants(r);
      if (op === 0x60 || op === 0x70) k = wrong && r.chance(0.3) ? 32 + r.int(3) : r.int(32);
      if (op === 0x30 && !x) k = wrong && r.chance(0.3) ? 0 : k || 1;
      program.push(I(0x04 | op | (x ? 0x08 : 0), k));
    } else if (choice < 57) program.push(I(0x84));
    else if (choice < 60) program.push(I(r.pick([0x07, 0x87])));
    else if (choice < 64) program.push(I(0x05, offset()));
    else if (choice < 86) program.push(I(0x05 | r.pick(JUMPS) | (r.chance(0.3) ? 0x08 : 0), constants(r), offset(), offset()));
    else if (choice < 97) program.push(r.chance(0.85) ? I(RET, r.pick(ACTIONS)) : I(RET_A));
    else program.push(I(wrong ? r.pick([0x94, 0x28, 0x30, 0x0e, r.int(0x10000)]) : 0x87));
  }
  const end = wrong && r.chance(0.15) ? I(0x00, 1) : r.chance(0.8) ? I(RET, r.pick(ACTIONS)) : I(RET_A);
  return [...program, end];
}

/** What a call should show under a filter that returned `ret`, given what it does with no filter. */
export function expectedOutcome(ret: number, call: Call, natural: string): string {
  const data = ret & 0xffff;
  switch ((ret & 0xffff0000) >>> 0) {
    case 0x00050000:
      return `r${-Math.min(data, 4095)}`;
    case 0x00030000:
      return `t${data},${call.nr | 0},${call.abi === 64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386}`;
    case 0x7ff00000: // TRACE with no tracer attached
    case 0x7fc00000: // USER_NOTIF with no listener
      return "r-38";
    case 0x7ffc0000:
    case 0x7fff0000:
      return natural;
    case 0x00000000:
      return "k";
    default: // KILL_PROCESS, and what the kernel does with an action it does not know
      return "K";
  }
}

export function buildHarness(): string {
  const out = join(mkdtempSync(join(tmpdir(), "sbx-kernel-diff-")), "kernel-harness");
  const cc = Bun.spawnSync(["gcc", "-O2", "-Wall", "-Werror", "-o", out, join(import.meta.dir, "kernel-harness.c"), "-lpthread"], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`gcc failed: ${cc.stderr.toString()}`);
  return out;
}

const hex = (n: number | bigint) => n.toString(16);

interface HarnessRun {
  ip64: bigint;
  ip32: bigint;
  /** Per program: the install errno (0 when it took) and one outcome per call. */
  results: { installErrno: number; outcomes: string[] }[];
}

/** An empty program installs no filter: the calls' natural outcomes. */
function runHarness(harness: string, calls: readonly Call[], programs: readonly Instruction[][]): HarnessRun {
  const lines = [
    String(calls.length),
    ...calls.map((c) => [c.abi, hex(c.nr), ...c.args.map(hex)].join(" ")),
    String(programs.length),
    ...programs.map((p) => [hex(p.length), ...p.flatMap((ins) => [ins.code, ins.jt, ins.jf, ins.k].map(hex))].join(" ")),
  ];
  const r = Bun.spawnSync([harness], { stdin: new TextEncoder().encode(`${lines.join("\n")}\n`), stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`the harness exited with ${r.exitCode}: ${r.stderr.toString()}`);
  const [head, ...rest] = r.stdout.toString().trim().split("\n");
  const m = /^ip64 ([0-9a-f]+) ip32 ([0-9a-f]+)$/.exec(head ?? "");
  if (!m) throw new Error(`unexpected harness output: ${head}`);
  return {
    ip64: BigInt(`0x${m[1]}`),
    ip32: BigInt(`0x${m[2]}`),
    results: rest.map((line) => {
      const [installErrno, ...outcomes] = line.split(" ");
      return { installErrno: Number(installErrno), outcomes };
    }),
  };
}

export interface DifferentialReport {
  programs: number;
  refused: number;
  decisions: number;
  disagreements: string[];
  /** Calls left out because they do not run normally here (e.g. no i386 emulation). */
  unusable: string[];
}

/** `code/jt/jf/k …` in hex, the first 12 instructions. */
function listing(p: readonly Instruction[]): string {
  const shown = p.slice(0, 12).map((ins) => `${hex(ins.code)}/${ins.jt}/${ins.jf}/${hex(ins.k)}`);
  return `[${shown.join(" ")}${p.length > 12 ? ` … (${p.length})` : ""}]`;
}

/** Runs `programs` in the kernel and in sbx; every disagreement is one line. */
export function differential(harness: string, programs: readonly Instruction[][]): DifferentialReport {
  // One harness run: getppid answers its pid, so the natural outcomes come from the same run.
  const kernel = runHarness(harness, CALLS, [[], ...programs]);
  const [baseline, ...results] = kernel.results;
  const natural = baseline!.outcomes;
  const usable = CALLS.flatMap((call, i) => (natural[i]!.startsWith("r") ? [i] : []));
  const report: DifferentialReport = {
    programs: programs.length,
    refused: 0,
    decisions: 0,
    disagreements: [],
    unusable: CALLS.flatMap((c, i) => (usable.includes(i) ? [] : [`${c.abi}-bit nr ${hex(c.nr)}: ${natural[i]}`])),
  };
  programs.forEach((program, p) => {
    const { installErrno, outcomes } = results[p]!;
    let refusal: string | undefined;
    try {
      validate(program);
    } catch (e) {
      if (!(e instanceof InvalidProgramError)) throw e;
      refusal = e.message;
    }
    if ((installErrno === 0) !== (refusal === undefined)) {
      report.disagreements.push(`${listing(program)}: kernel install errno ${installErrno}, sbx ${refusal ?? "accepts it"}`);
      return;
    }
    if (refusal !== undefined) {
      report.refused++;
      return;
    }
    for (const i of usable) {
      const call = CALLS[i]!;
      const data: SeccompData = {
        nr: call.nr,
        arch: call.abi === 64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386,
        instructionPointer: call.abi === 64 ? kernel.ip64 : kernel.ip32,
        args: call.args,
      };
      const ret = run(program, data).action;
      const want = expectedOutcome(ret, call, natural[i]!);
      report.decisions++;
      if (outcomes[i] !== want) {
        report.disagreements.push(`${listing(program)}: ${call.abi}-bit nr ${hex(call.nr)}: kernel ${outcomes[i]}, sbx ${describeAction(ret)} → ${want}`);
      }
    }
  });
  return report;
}

/** TARGETED plus `count` random programs from `seed`. */
export function programSet(seed: number, count: number): Instruction[][] {
  const r = prng(seed);
  return [...TARGETED.map(([, p]) => p), ...Array.from({ length: count }, () => randomProgram(r))];
}
