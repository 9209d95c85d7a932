import { describe, expect, test } from "bun:test";
import { type Instruction, MAX_INSTRUCTIONS } from "../../src/seccomp/bpf.ts";
import { InvalidProgramError, run, validate } from "../../src/seccomp/interp.ts";

const I = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k });
const RET_K = 0x06;
const RET_A = 0x16;
const data = { nr: 39, arch: 0xc000003e, instructionPointer: 0x7fff_0000_1234n, args: [0x1_0000_0002n, 5n] };

describe("programs the kernel refuses are refused", () => {
  const cases: [string, Instruction[], string][] = [
    ["empty", [], "a filter has 1 to 4096 instructions, this one 0"],
    ["too long", Array.from({ length: MAX_INSTRUCTIONS + 1 }, () => I(RET_K)), "a filter has 1 to 4096 instructions, this one 4097"],
    ["a load past seccomp_data", [I(0x20, 64), I(RET_K)], "instruction 0: load from offset 64 is outside struct seccomp_data or unaligned"],
    ["an unaligned load", [I(0x20, 2), I(RET_K)], "instruction 0: load from offset 2 is outside struct seccomp_data or unaligned"],
    ["a byte load", [I(0x30, 0), I(RET_K)], "instruction 0: opcode 0x30 is not allowed in a seccomp filter"],
    ["BPF_MOD", [I(0x94, 3), I(RET_K)], "instruction 0: opcode 0x94 is not allowed in a seccomp filter"],
    ["a jump past the end", [I(0x15, 0, 5, 0), I(RET_K)], "instruction 0: jumps past the end"],
    ["falling off the end", [I(0x20, 0)], "instruction 0: the last instruction must return"],
    ["reading scratch memory never written", [I(0x60, 3), I(RET_A)], "instruction 0: reads scratch word 3 before any write to it"],
    ["scratch word 16", [I(0x02, 16), I(RET_K)], "instruction 0: scratch word 16 does not exist"],
    ["division by constant zero", [I(0x34, 0), I(RET_K)], "instruction 0: division by the constant 0"],
    ["shift by 32", [I(0x64, 32), I(RET_K)], "instruction 0: shift by 32"],
    ["an unreachable last instruction that does not return", [I(RET_K), I(0x00, 0)], "instruction 1: the last instruction must return"],
    ["an unreachable jump out of range", [I(RET_K), I(0x05, 100), I(RET_K)], "instruction 1: jumps past the end"],
    ["ja 0xffffffff", [I(0x05, 0xffffffff), I(RET_K)], "instruction 0: jumps past the end"],
    ["the scratch walk follows the fall-through after a return", [I(RET_K), I(0x60, 0), I(RET_A)], "instruction 1: reads scratch word 0 before any write to it"],
    ["a jump's target gets what was valid at the jump", [I(0x05, 0), I(0x60, 0), I(RET_A)], "instruction 1: reads scratch word 0 before any write to it"],
  ];
  for (const [what, program, message] of cases) {
    test(`${what}: ${message}`, () => {
      expect(() => validate(program)).toThrow(InvalidProgramError);
      expect(() => validate(program)).toThrow(message);
    });
  }
  test("what was valid before a return stays valid after it, as in the kernel's walk", () => {
    expect(() => validate([I(0x02, 0), I(RET_K), I(0x60, 0), I(RET_A)])).not.toThrow();
  });
  test("memory written on only one path is not readable after the join", () => {
    const program = [I(0x15, 0, 0, 1), I(0x02, 1), I(0x60, 1), I(RET_A)];
    expect(() => validate(program)).toThrow("instruction 2: reads scratch word 1 before any write to it");
  });
});

describe("execution", () => {
  test.each([
    ["ret #k", [I(RET_K, 0x7fff0000)], 0x7fff0000, 1],
    ["ld nr; ret a", [I(0x20, 0), I(RET_A)], 39, 2],
    ["arch", [I(0x20, 4), I(RET_A)], 0xc000003e, 2],
    ["instruction pointer, high half", [I(0x20, 12), I(RET_A)], 0x7fff, 2],
    ["args[0] low and high halves", [I(0x20, 16), I(0x07), I(0x20, 20), I(0x0c), I(RET_A)], 3, 5],
    ["ld #len is sizeof(seccomp_data)", [I(0x80), I(RET_A)], 64, 2],
    ["alu with k", [I(0x00, 10), I(0x04, 5), I(0x14, 3), I(0x24, 4), I(0x34, 6), I(0x44, 0x100), I(0x54, 0x10f), I(0xa4, 1), I(0x64, 2), I(0x74, 1), I(RET_A)], 0x212, 11],
    ["neg wraps", [I(0x00, 1), I(0x84), I(RET_A)], 0xffffffff, 3],
    ["scratch memory", [I(0x00, 7), I(0x02, 2), I(0x00, 0), I(0x60, 2), I(RET_A)], 7, 5],
    ["jset", [I(0x20, 24), I(0x45, 4, 1, 0), I(RET_K, 1), I(RET_K, 2)], 2, 3],
    ["ja", [I(0x05, 1), I(RET_K, 1), I(RET_K, 2)], 2, 2],
    ["jgt x", [I(0x01, 38), I(0x20, 0), I(0x2d, 0, 0, 1), I(RET_K, 1), I(RET_K, 2)], 1, 4],
    ["division by a zero x ends with 0", [I(0x01, 0), I(0x00, 5), I(0x3c), I(RET_K, 9)], 0, 3],
    ["lsh by x = 32 shifts by 0: the kernel masks the count", [I(0x00, 5), I(0x01, 32), I(0x6c), I(RET_A)], 5, 4],
    ["rsh by x = 33 shifts by 1", [I(0x00, 6), I(0x01, 33), I(0x7c), I(RET_A)], 3, 4],
    ["lsh by x = 0xffffffff shifts by 31", [I(0x00, 3), I(0x01, 0xffffffff), I(0x6c), I(RET_A)], 0x80000000, 4],
  ] as [string, Instruction[], number, number][])("%s", (_what, program, action, executed) => {
    expect(run(program, data)).toEqual({ action, executed });
  });
});
