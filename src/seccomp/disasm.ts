// A readable listing of a seccomp BPF program, in the spirit of libseccomp's scmp_bpf_disasm:
// raw fields, the instruction, and what a constant means given what the accumulator holds there
// (the architecture, a syscall number, an argument half), found by following the jumps.
import { describeAction } from "./action.ts";
import { archOfAudit, syscallName, type SeccompArch } from "./arch.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_IMM,
  BPF_JA,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_W,
  BPF_X,
  bpfClass,
  decode,
  OFFSET_ARCH,
  OFFSET_ARGS,
  OFFSET_IP,
  OFFSET_NR,
  type Instruction,
} from "./bpf.ts";

const ALU_NAMES: Record<number, string> = {
  0x00: "add", 0x10: "sub", 0x20: "mul", 0x30: "div", 0x40: "or", 0x50: "and", 0x60: "lsh", 0x70: "rsh", 0x80: "neg", 0x90: "mod", 0xa0: "xor",
};
const JUMP_NAMES: Record<number, string> = { 0x10: "jeq", 0x20: "jgt", 0x30: "jge", 0x40: "jset" };

/** What the accumulator holds: a field of seccomp_data, or something computed ("?"). */
type Content = string;

function fieldAt(offset: number): Content {
  if (offset === OFFSET_NR) return "nr";
  if (offset === OFFSET_ARCH) return "arch";
  if (offset < OFFSET_ARGS) return `instruction_pointer (${offset === OFFSET_IP ? "low" : "high"})`;
  const i = (offset - OFFSET_ARGS) >> 3;
  return `args[${i}] (${offset % 8 === 0 ? "low" : "high"})`;
}

const hex = (n: number, width = 8) => `0x${(n >>> 0).toString(16).padStart(width, "0")}`;

/** A forward pass over the (forward-only) jumps: what A holds on entry to each instruction. */
function accumulatorContents(program: readonly Instruction[]): (Content | undefined)[] {
  const entry: (Content | undefined)[] = new Array(program.length).fill(undefined);
  const seen: boolean[] = new Array(program.length).fill(false);
  const flow = (to: number, content: Content) => {
    if (to >= program.length) return;
    entry[to] = !seen[to] || entry[to] === content ? content : "?";
    seen[to] = true;
  };
  flow(0, "?");
  program.forEach((ins, i) => {
    if (!seen[i]) return;
    const held = entry[i]!;
    const cls = bpfClass(ins.code);
    let after = held;
    if (cls === BPF_LD) after = ins.code === (BPF_LD | BPF_W | BPF_ABS) ? fieldAt(ins.k) : "?";
    else if (cls === BPF_ALU || (cls === BPF_MISC && ins.code & 0x80)) after = "?";
    if (cls === BPF_RET) return;
    if (cls === BPF_JMP) {
      if ((ins.code & 0xf0) === BPF_JA) flow(i + 1 + ins.k, after);
      else {
        flow(i + 1 + ins.jt, after);
        flow(i + 1 + ins.jf, after);
      }
    } else flow(i + 1, after);
  });
  return entry;
}

function meaning(content: Content | undefined, k: number, arch: SeccompArch | undefined): string {
  if (content === "arch") {
    const a = archOfAudit(k);
    return a ? `AUDIT_ARCH ${a}` : "";
  }
  if (content === "nr" && arch) return syscallName(arch, k) ?? "";
  return "";
}

function operand(ins: Instruction): string {
  return (ins.code & BPF_X) === BPF_X ? "x" : `#${hex(ins.k)}`;
}

function mnemonic(ins: Instruction, at: number): string {
  const { code, k } = ins;
  const target = (off: number) => String(at + 1 + off).padStart(4, "0");
  switch (bpfClass(code)) {
    case BPF_LD:
      if (code === (BPF_LD | BPF_W | BPF_ABS)) return `ld   [${k}]`;
      if (code === (BPF_LD | BPF_MEM)) return `ld   M[${k}]`;
      if (code === (BPF_LD | BPF_IMM)) return `ld   #${hex(k)}`;
      if (code === (BPF_LD | BPF_W | BPF_LEN)) return "ld   #len";
      break;
    case BPF_LDX:
      if (code === (BPF_LDX | BPF_MEM)) return `ldx  M[${k}]`;
      if (code === (BPF_LDX | BPF_IMM)) return `ldx  #${hex(k)}`;
      if (code === (BPF_LDX | BPF_W | BPF_LEN)) return "ldx  #len";
      break;
    case BPF_ST:
      return `st   M[${k}]`;
    case BPF_STX:
      return `stx  M[${k}]`;
    case BPF_ALU: {
      const name = ALU_NAMES[code & 0xf0];
      if (name === "neg") return "neg";
      if (name) return `${name.padEnd(4)} ${operand(ins)}`;
      break;
    }
    case BPF_JMP: {
      if ((code & 0xf0) === BPF_JA) return `ja   ${target(k)}`;
      const name = JUMP_NAMES[code & 0xf0];
      if (name) return `${name.padEnd(4)} ${operand(ins)}  true:${target(ins.jt)} false:${target(ins.jf)}`;
      break;
    }
    case BPF_RET:
      return (code & BPF_A) === BPF_A ? "ret  a" : `ret  ${describeAction(k)}`;
    case BPF_MISC:
      return (code & 0xf8) === BPF_TAX ? "tax" : "txa";
  }
  return "(invalid)";
}

/** One line per instruction: `0004: 0x15 0x00 0x01 0x0000003b  jeq  #0x0000003b  true:0005 false:0006  ; execve`. */
export function disassemble(bytes: Uint8Array, arch?: SeccompArch): string {
  const program = decode(bytes);
  const contents = accumulatorContents(program);
  // Without a given architecture, take the one the program checks for.
  const archFromProgram = program
    .map((ins, i) => (contents[i] === "arch" && bpfClass(ins.code) === BPF_JMP && (ins.code & BPF_X) === BPF_K ? archOfAudit(ins.k) : undefined))
    .find((a) => a !== undefined);
  const names = arch ?? archFromProgram;
  const lines = [" line  code jt   jf   k", "=================================="];
  program.forEach((ins, i) => {
    const raw = `${String(i).padStart(4, "0")}: ${hex(ins.code, 2)} ${hex(ins.jt, 2)} ${hex(ins.jf, 2)} ${hex(ins.k)}`;
    const isLoad = ins.code === (BPF_LD | BPF_W | BPF_ABS);
    const note = isLoad
      ? fieldAt(ins.k)
      : bpfClass(ins.code) === BPF_JMP && (ins.code & 0xf0) !== BPF_JA && (ins.code & BPF_X) === BPF_K
        ? meaning(contents[i], ins.k, names)
        : "";
    const text = mnemonic(ins, i);
    lines.push(note ? `${raw}  ${text.padEnd(40)} ; ${note}` : `${raw}  ${text}`);
  });
  return `${lines.join("\n")}\n`;
}

