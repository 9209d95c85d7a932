// A classic-BPF interpreter for seccomp programs: what the kernel would decide for one syscall,
// and how many instructions it took. Programs are first checked the way the kernel checks them
// (seccomp_check_filter, bpf_check_classic), so a program the kernel would refuse is refused here.
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  bpfClass,
  decode,
  MAX_INSTRUCTIONS,
  MEM_WORDS,
  OFFSET_ARGS,
  SECCOMP_DATA_SIZE,
  type Instruction,
} from "./bpf.ts";

/** struct seccomp_data, as the kernel fills it in for a syscall. */
export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer: bigint;
  /** Up to six; missing ones are 0. */
  args: readonly bigint[];
}

export interface Verdict {
  /** The SECCOMP_RET_* value returned. */
  action: number;
  /** Instructions executed, the return included. */
  executed: number;
}

export class InvalidProgramError extends Error {}

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
const JUMP_OPS = [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET];

/** The instructions seccomp accepts (kernel/seccomp.c, seccomp_check_filter). */
function allowed(code: number): boolean {
  switch (code) {
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
      return true;
  }
  const src = code & BPF_X;
  const op = code & 0xf0;
  if (bpfClass(code) === BPF_ALU) return code === (BPF_ALU | op | src) && ALU_OPS.includes(op);
  if (bpfClass(code) === BPF_JMP) return code === (BPF_JMP | op | src) && JUMP_OPS.includes(op);
  return false;
}

const hasJumpTargets = (code: number) => bpfClass(code) === BPF_JMP && code !== (BPF_JMP | BPF_JA);

/**
 * Throws InvalidProgramError for what the kernel would refuse with EINVAL, checking what it checks
 * in its order (bpf_check_basics_ok, bpf_check_classic, check_load_and_stores, then
 * seccomp_check_filter). Every instruction is checked, reachable or not: the kernel never asks
 * which instructions can run.
 */
export function validate(program: readonly Instruction[]): void {
  const fail = (i: number, why: string): never => {
    throw new InvalidProgramError(`instruction ${i}: ${why}`);
  };
  if (program.length === 0 || program.length > MAX_INSTRUCTIONS) {
    throw new InvalidProgramError(`a filter has 1 to ${MAX_INSTRUCTIONS} instructions, this one ${program.length}`);
  }
  const last = program.length - 1;
  program.forEach(({ code, k, jt, jf }, i) => {
    if (!allowed(code)) fail(i, `opcode 0x${code.toString(16)} is not allowed in a seccomp filter`);
    const cls = bpfClass(code);
    if (code === (BPF_ALU | BPF_DIV | BPF_K) && k === 0) fail(i, "division by the constant 0");
    if ((code === (BPF_ALU | BPF_LSH | BPF_K) || code === (BPF_ALU | BPF_RSH | BPF_K)) && k >= 32) fail(i, `shift by ${k}`);
    const usesMem = code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM) || cls === BPF_ST || cls === BPF_STX;
    if (usesMem && k >= MEM_WORDS) fail(i, `scratch word ${k} does not exist`);
    // k is unsigned: a huge `ja` is past the end, never backwards.
    if (code === (BPF_JMP | BPF_JA) && k >= last - i) fail(i, "jumps past the end");
    if (hasJumpTargets(code) && i + 1 + Math.max(jt, jf) > last) fail(i, "jumps past the end");
    if (code === (BPF_LD | BPF_W | BPF_ABS) && (k % 4 !== 0 || k >= SECCOMP_DATA_SIZE)) {
      fail(i, `load from offset ${k} is outside struct seccomp_data or unaligned`);
    }
  });
  if (bpfClass(program[last]!.code) !== BPF_RET) fail(last, "the last instruction must return");
  checkScratchMemory(program);
}

/**
 * The kernel's check that scratch memory is written before it is read (check_load_and_stores): one
 * pass in instruction order. A jump hands the words valid there to its targets and then counts
 * every word as valid for the instruction after it; any other instruction, a return included,
 * hands them on to the next. So the instruction after a `ret` inherits what was valid before it.
 */
function checkScratchMemory(program: readonly Instruction[]): void {
  const ALL = (1 << MEM_WORDS) - 1;
  const masks = new Array<number>(program.length).fill(ALL);
  let valid = 0;
  const handOn = (to: number) => {
    masks[to] = masks[to]! & valid;
  };
  program.forEach(({ code, k, jt, jf }, i) => {
    valid &= masks[i]!;
    const cls = bpfClass(code);
    if (cls === BPF_ST || cls === BPF_STX) valid |= 1 << k;
    else if ((code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) && !(valid & (1 << k))) {
      throw new InvalidProgramError(`instruction ${i}: reads scratch word ${k} before any write to it`);
    } else if (code === (BPF_JMP | BPF_JA)) {
      handOn(i + 1 + k);
      valid = ALL;
    } else if (hasJumpTargets(code)) {
      handOn(i + 1 + jt);
      handOn(i + 1 + jf);
      valid = ALL;
    }
  });
}

/** The 32-bit word at `offset` of struct seccomp_data (little-endian). */
function dataWord(data: SeccompData, offset: number): number {
  if (offset === 0) return data.nr >>> 0;
  if (offset === 4) return data.arch >>> 0;
  const field = offset < OFFSET_ARGS ? data.instructionPointer : (data.args[(offset - OFFSET_ARGS) >> 3] ?? 0n);
  const word = offset % 8 === 0 ? field : field >> 32n;
  return Number(word & 0xffffffffn) >>> 0;
}

function alu(op: number, a: number, operand: number): number {
  switch (op) {
    case BPF_ADD:
      return (a + operand) >>> 0;
    case BPF_SUB:
      return (a - operand) >>> 0;
    case BPF_MUL:
      return Math.imul(a, operand) >>> 0;
    case BPF_DIV:
      return Math.floor(a / operand) >>> 0;
    case BPF_AND:
      return (a & operand) >>> 0;
    case BPF_OR:
      return (a | operand) >>> 0;
    case BPF_XOR:
      return (a ^ operand) >>> 0;
    // The kernel masks a shift count in X to 5 bits (a shift by a constant of 32 or more is refused).
    case BPF_LSH:
      return (a << (operand & 31)) >>> 0;
    case BPF_RSH:
      return a >>> (operand & 31);
    default:
      throw new InvalidProgramError(`unknown ALU operation 0x${op.toString(16)}`);
  }
}

function jumpTaken(op: number, a: number, operand: number): boolean {
  switch (op) {
    case BPF_JEQ:
      return a === operand;
    case BPF_JGT:
      return a > operand;
    case BPF_JGE:
      return a >= operand;
    default: // BPF_JSET
      return (a & operand) !== 0;
  }
}

/** Runs a validated program. */
function execute(program: readonly Instruction[], data: SeccompData): Verdict {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(MEM_WORDS);
  let pc = 0;
  let executed = 0;
  for (;;) {
    const { code, jt, jf, k } = program[pc]!;
    executed++;
    pc++;
    const cls = bpfClass(code);
    if (cls === BPF_RET) return { action: ((code & BPF_A) === BPF_A ? a : k) >>> 0, executed };
    switch (cls) {
      case BPF_LD:
        a = code === (BPF_LD | BPF_W | BPF_ABS) ? dataWord(data, k) : code === (BPF_LD | BPF_MEM) ? mem[k]! : code === (BPF_LD | BPF_IMM) ? k : SECCOMP_DATA_SIZE;
        break;
      case BPF_LDX:
        x = code === (BPF_LDX | BPF_MEM) ? mem[k]! : code === (BPF_LDX | BPF_IMM) ? k : SECCOMP_DATA_SIZE;
        break;
      case BPF_ST:
        mem[k] = a;
        break;
      case BPF_STX:
        mem[k] = x;
        break;
      case BPF_ALU: {
        const op = code & 0xf0;
        if (op === BPF_NEG) {
          a = -a >>> 0;
          break;
        }
        const operand = (code & BPF_X) === BPF_X ? x : k;
        // Classic BPF ends the program with 0 on a division by a zero X.
        if (op === BPF_DIV && operand === 0) return { action: 0, executed };
        a = alu(op, a, operand);
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) pc += k;
        else pc += jumpTaken(op, a, (code & BPF_X) === BPF_X ? x : k) ? jt : jf;
        break;
      }
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TAX) x = a;
        else if ((code & 0xf8) === BPF_TXA) a = x;
        break;
    }
  }
}

/** What the filter returns for this syscall, and after how many instructions. */
export function run(program: Uint8Array | readonly Instruction[], data: SeccompData): Verdict {
  const instructions = program instanceof Uint8Array ? decode(program) : program;
  validate(instructions);
  return execute(instructions, data);
}

/** For many evaluations of one program: validates and decodes once. */
export function runner(program: Uint8Array): (data: SeccompData) => Verdict {
  const instructions = decode(program);
  validate(instructions);
  return (data) => execute(instructions, data);
}
