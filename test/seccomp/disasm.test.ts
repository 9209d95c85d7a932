import { expect, test } from "bun:test";
import { encode, type Instruction } from "../../src/seccomp/bpf.ts";
import { disassemble } from "../../src/seccomp/disasm.ts";
import { parseProfile } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { target } from "./fixtures.ts";

test("a compiled profile reads as arch check, x32 check, search, then one decision over the argument words", () => {
  const profile = parseProfile({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [
      { names: ["read"], action: "SCMP_ACT_ALLOW" },
      { names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, op: "SCMP_CMP_MASKED_EQ", value: 0xffffffff, valueTwo: 0x5401 }] },
      { names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, op: "SCMP_CMP_EQ", value: 0x5413 }] },
    ],
  });
  // a1's high word is loaded once for both rules; the 64-bit EQ needs it to be 0, the MASKED_EQ does not look at it.
  expect(disassemble(compileProfile(profile, target()).bytes)).toBe(
    [
      " line  code jt   jf   k",
      "==================================",
      "0000: 0x20 0x00 0x00 0x00000004  ld   [4]                                 ; arch",
      "0001: 0x15 0x01 0x00 0xc000003e  jeq  #0xc000003e  true:0003 false:0002   ; AUDIT_ARCH x86_64",
      "0002: 0x06 0x00 0x00 0x80000000  ret  KILL_PROCESS",
      "0003: 0x20 0x00 0x00 0x00000000  ld   [0]                                 ; nr",
      "0004: 0x35 0x00 0x02 0x40000000  jge  #0x40000000  true:0005 false:0007",
      "0005: 0x15 0x01 0x00 0xffffffff  jeq  #0xffffffff  true:0007 false:0006",
      "0006: 0x06 0x00 0x00 0x80000000  ret  KILL_PROCESS",
      "0007: 0x35 0x03 0x00 0x00000010  jge  #0x00000010  true:0011 false:0008   ; ioctl",
      "0008: 0x35 0x01 0x00 0x00000001  jge  #0x00000001  true:0010 false:0009   ; write",
      "0009: 0x06 0x00 0x00 0x7fff0000  ret  ALLOW",
      "0010: 0x06 0x00 0x00 0x00050001  ret  ERRNO(1)",
      "0011: 0x35 0x0a 0x00 0x00000011  jge  #0x00000011  true:0022 false:0012   ; pread64",
      "0012: 0x20 0x00 0x00 0x0000001c  ld   [28]                                ; args[1] (high)",
      "0013: 0x35 0x00 0x02 0x00000001  jge  #0x00000001  true:0014 false:0016",
      "0014: 0x20 0x00 0x00 0x00000018  ld   [24]                                ; args[1] (low)",
      "0015: 0x15 0x05 0x04 0x00005401  jeq  #0x00005401  true:0021 false:0020",
      "0016: 0x20 0x00 0x00 0x00000018  ld   [24]                                ; args[1] (low)",
      "0017: 0x35 0x00 0x01 0x00005413  jge  #0x00005413  true:0018 false:0019",
      "0018: 0x35 0x01 0x02 0x00005414  jge  #0x00005414  true:0020 false:0021",
      "0019: 0x15 0x01 0x00 0x00005401  jeq  #0x00005401  true:0021 false:0020",
      "0020: 0x06 0x00 0x00 0x00050001  ret  ERRNO(1)",
      "0021: 0x06 0x00 0x00 0x7fff0000  ret  ALLOW",
      "0022: 0x06 0x00 0x00 0x00050026  ret  ERRNO(38)",
      "",
    ].join("\n"),
  );
});

test("hand-written programs: scratch memory, x operands, ja, and what A holds after a join", () => {
  const I = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k });
  const listing = disassemble(
    encode([
      I(0x20, 4), // ld arch
      I(0x15, 0xc00000b7, 0, 1), // jeq aarch64
      I(0x20, 0), // ld nr
      I(0x15, 63, 0, 0), // A is nr on one path, arch on the other: no name
      I(0x02, 0), // st M[0]
      I(0x61, 0), // ldx M[0]
      I(0x87), // txa
      I(0x1d, 0, 0, 1), // jeq x
      I(0x05, 0), // ja
      I(0x16), // ret a
    ]),
  ).split("\n");
  expect(listing.slice(2, 12)).toEqual([
    "0000: 0x20 0x00 0x00 0x00000004  ld   [4]                                 ; arch",
    "0001: 0x15 0x00 0x01 0xc00000b7  jeq  #0xc00000b7  true:0002 false:0003   ; AUDIT_ARCH aarch64",
    "0002: 0x20 0x00 0x00 0x00000000  ld   [0]                                 ; nr",
    "0003: 0x15 0x00 0x00 0x0000003f  jeq  #0x0000003f  true:0004 false:0004",
    "0004: 0x02 0x00 0x00 0x00000000  st   M[0]",
    "0005: 0x61 0x00 0x00 0x00000000  ldx  M[0]",
    "0006: 0x87 0x00 0x00 0x00000000  txa",
    "0007: 0x1d 0x00 0x01 0x00000000  jeq  x  true:0008 false:0009",
    "0008: 0x05 0x00 0x00 0x00000000  ja   0009",
    "0009: 0x16 0x00 0x00 0x00000000  ret  a",
  ]);
});
