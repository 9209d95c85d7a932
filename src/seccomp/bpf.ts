// Classic BPF as seccomp takes it: an array of struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; },
// 8 bytes each, in the byte order of the (little-endian) machines sbx compiles for.

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Instruction classes, sizes, modes, operations and sources (include/uapi/linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

export const BPF_W = 0x00;

export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;

export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;

export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

export const bpfClass = (code: number) => code & 0x07;

/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSTRUCTIONS = 4096;
/** BPF_MEMWORDS: scratch memory slots M[0..15]. */
export const MEM_WORDS = 16;

// struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }
export const SECCOMP_DATA_SIZE = 64;
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
export const OFFSET_IP = 8;
export const OFFSET_ARGS = 16;
/** Offsets of the low and high 32-bit words of args[i] on a little-endian machine. */
export const argLow = (i: number) => OFFSET_ARGS + 8 * i;
export const argHigh = (i: number) => OFFSET_ARGS + 8 * i + 4;

const INSTRUCTION_SIZE = 8;

export function encode(program: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(program.length * INSTRUCTION_SIZE);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    const at = i * INSTRUCTION_SIZE;
    view.setUint16(at, ins.code, true);
    view.setUint8(at + 2, ins.jt);
    view.setUint8(at + 3, ins.jf);
    view.setUint32(at + 4, ins.k >>> 0, true);
  });
  return bytes;
}

export function decode(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSTRUCTION_SIZE !== 0) {
    throw new Error(`${bytes.length} bytes is not a whole number of 8-byte BPF instructions`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program: Instruction[] = [];
  for (let at = 0; at < bytes.length; at += INSTRUCTION_SIZE) {
    program.push({
      code: view.getUint16(at, true),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, true),
    });
  }
  return program;
}
