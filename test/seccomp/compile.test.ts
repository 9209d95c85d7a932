import { describe, expect, test } from "bun:test";
import { ALLOW, describeAction, ENOSYS, errno, KILL_PROCESS } from "../../src/seccomp/action.ts";
import { ARCHES, X32_SYSCALL_BIT } from "../../src/seccomp/arch.ts";
import { ProgramTooLargeError } from "../../src/seccomp/asm.ts";
import { BPF_JA, BPF_JMP, decode, MAX_INSTRUCTIONS } from "../../src/seccomp/bpf.ts";
import { runner } from "../../src/seccomp/interp.ts";
import { parseProfile, type ProfileInput } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import type { Target } from "../../src/seccomp/policy.ts";
import { target } from "./fixtures.ts";

const X86: Target = { arch: "x86_64", caps: new Set(), kernel: [6, 18] };
const A64: Target = { arch: "aarch64", caps: new Set(), kernel: [6, 18] };
const nrOf = (name: string, arch: "x86_64" | "aarch64" = "x86_64") => ARCHES[arch].syscalls.get(name)!;

function decider(profile: ProfileInput, target = X86) {
  const decide = runner(compileProfile(parseProfile(profile), target).bytes);
  const info = ARCHES[target.arch];
  return (nr: number | string, args: bigint[] = [], arch = info.auditArch) =>
    describeAction(decide({ nr: typeof nr === "string" ? nrOf(nr, target.arch) : nr, arch, instructionPointer: 0n, args }).action);
}

const allowReadWrite: ProfileInput = {
  defaultAction: "SCMP_ACT_ERRNO",
  syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }],
};

describe("architecture and ABI check comes first", () => {
  const decide = decider(allowReadWrite);
  for (const [what, nr, arch, want] of [
    ["native x86_64 read", nrOf("read"), ARCHES.x86_64.auditArch, "ALLOW"],
    ["i386 (int 0x80) read", 3, 0x40000003, "KILL_PROCESS"],
    ["aarch64 ABI on an x86_64 filter", nrOf("read"), ARCHES.aarch64.auditArch, "KILL_PROCESS"],
    ["x32 read (nr | 0x40000000)", X32_SYSCALL_BIT | nrOf("read"), ARCHES.x86_64.auditArch, "KILL_PROCESS"],
    ["nr -1, a tracer's skipped syscall, is not x32 (ENOSYS as past the profile)", 0xffffffff, ARCHES.x86_64.auditArch, "ERRNO(38)"],
  ] as const) {
    test(`${what} → ${want}`, () => expect(decide(nr, [], arch)).toBe(want));
  }

  test("the profile can say what foreign ABIs get", () => {
    const decide = decider({ ...allowReadWrite, foreignAbiAction: "SCMP_ACT_ERRNO", foreignAbiErrnoRet: 38 });
    expect(decide(X32_SYSCALL_BIT | nrOf("read"))).toBe("ERRNO(38)");
    expect(decide(3, [], 0x40000003)).toBe("ERRNO(38)");
  });

  test("aarch64 has no x32 bit: a large number is just a number past the profile", () => {
    const decide = decider(allowReadWrite, A64);
    expect(decide("read")).toBe("ALLOW");
    expect(decide(X32_SYSCALL_BIT | nrOf("read", "aarch64"))).toBe("ERRNO(38)");
    expect(decide("read", [], ARCHES.x86_64.auditArch)).toBe("KILL_PROCESS");
  });
});

describe("syscalls newer than the profile get ENOSYS (runc's rule)", () => {
  const profile: ProfileInput = {
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["openat", "close_range"], action: "SCMP_ACT_ALLOW" }],
  };
  for (const [what, name, want] of [
    ["named", "close_range", "ALLOW"],
    ["not named, below the highest named", "read", "ERRNO(1)"],
    ["above the highest named (openat2 437 > close_range 436)", "openat2", "ERRNO(38)"],
    ["far above", "listns", "ERRNO(38)"],
  ]) {
    test(`${what}: ${name} → ${want}`, () => expect(decider(profile)(name!)).toBe(want!));
  }

  test("the highest name counts whatever its rule's action", () => {
    const decide = decider({ ...profile, syscalls: [...profile.syscalls!, { names: ["faccessat2"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }] });
    expect(decide("openat2")).toBe("ERRNO(1)");
    expect(decide("faccessat2")).toBe("ERRNO(13)");
    expect(decide("process_madvise")).toBe("ERRNO(38)");
  });

  for (const def of ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"] as const) {
    test(`not when the default lets calls through (${def})`, () => {
      const decide = decider({ defaultAction: def, syscalls: [{ names: ["ptrace"], action: "SCMP_ACT_ERRNO" }] });
      expect(decide("listns")).toBe(decider({ defaultAction: def })("read"));
    });
  }

  test("a KILL_PROCESS default still gets ENOSYS above the profile", () => {
    const decide = decider({ defaultAction: "SCMP_ACT_KILL_PROCESS", syscalls: [{ names: ["write"], action: "SCMP_ACT_ALLOW" }] });
    expect(decide("read")).toBe("KILL_PROCESS");
    expect(decide(0xffffffff)).toBe("ERRNO(38)");
  });
});

describe("64-bit comparisons on two 32-bit halves", () => {
  const rule = (op: string, value: bigint, valueTwo?: bigint): ProfileInput => ({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 2, op: op as "SCMP_CMP_EQ", value, valueTwo }] }],
  });
  const V = 0x1_0000_0005n;
  for (const [op, value, cases] of [
    ["SCMP_CMP_EQ", V, [[V, true], [5n, false], [0x2_0000_0005n, false], [0x1_0000_0006n, false]]],
    ["SCMP_CMP_NE", V, [[V, false], [5n, true], [0x1_0000_0004n, true]]],
    ["SCMP_CMP_GT", V, [[V, false], [V + 1n, true], [0x2_0000_0000n, true], [0xffff_ffffn, false], [0x1_0000_0004n, false]]],
    ["SCMP_CMP_GE", V, [[V, true], [V - 1n, false], [0x2_0000_0000n, true], [0x6n, false]]],
    ["SCMP_CMP_LT", V, [[V, false], [V - 1n, true], [0xffff_ffffn, true], [0x1_0000_0006n, false], [0x2_0000_0000n, false]]],
    ["SCMP_CMP_LE", V, [[V, true], [V + 1n, false], [0x2_0000_0004n, false], [0x0_ffff_ffffn, true]]],
  ] as const) {
    test(`${op} 0x${value.toString(16)}, on the high half and on the low half`, () => {
      const decide = decider(rule(op, value));
      for (const [arg, allowed] of cases) expect([arg, decide("read", [0n, 0n, arg])]).toEqual([arg, allowed ? "ALLOW" : "ERRNO(1)"]);
    });
  }

  test("MASKED_EQ compares (arg & value) with (valueTwo & value), like libseccomp", () => {
    const decide = decider(rule("SCMP_CMP_MASKED_EQ", 0xffff_ffffn, 0x5412n));
    expect(decide("read", [0n, 0n, 0x5412n])).toBe("ALLOW");
    expect(decide("read", [0n, 0n, 0x1_0000_5412n])).toBe("ALLOW"); // high half masked away
    expect(decide("read", [0n, 0n, 0x5413n])).toBe("ERRNO(1)");
    const datumOutsideMask = decider(rule("SCMP_CMP_MASKED_EQ", 0xffn, 0x1ffn));
    expect(datumOutsideMask("read", [0n, 0n, 0xffn])).toBe("ALLOW");
  });

  test("several args in one rule must all hold (AND); several rules for one syscall are alternatives (OR)", () => {
    const decide = decider({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 1 }, { index: 1, op: "SCMP_CMP_EQ", value: 2 }] },
        { names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 7 }] },
      ],
    });
    expect(decide("read", [1n, 2n])).toBe("ALLOW");
    expect(decide("read", [1n, 3n])).toBe("ERRNO(1)");
    expect(decide("read", [7n, 9n])).toBe("ALLOW");
  });
});

describe("several rules for one syscall", () => {
  // The rule runc with libseccomp enforces, which Docker's, Podman's and CRI-O's profiles mean.
  const TIOCSTI_DENY = { names: ["ioctl"], action: "SCMP_ACT_ERRNO" as const, errnoRet: 13, args: [{ index: 1, op: "SCMP_CMP_EQ" as const, value: 0x5412 }] };
  const IOCTL_ALLOW = { names: ["ioctl"], action: "SCMP_ACT_ALLOW" as const };
  for (const [order, syscalls] of [["before", [IOCTL_ALLOW, TIOCSTI_DENY]], ["after", [TIOCSTI_DENY, IOCTL_ALLOW]]] as const) {
    test(`an unconditional rule decides alone, even with an argument rule ${order} it, which is dead and warned about`, () => {
      const profile = parseProfile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [...syscalls] });
      const { warnings } = compileProfile(profile, target());
      const decide = decider({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [...syscalls] });
      expect([decide("ioctl", [0n, 0x5401n]), decide("ioctl", [0n, 0x5412n])]).toEqual(["ALLOW", "ALLOW"]);
      const [deny, allow] = order === "before" ? [1, 0] : [0, 1];
      expect(warnings).toEqual([
        `syscalls[${deny}].names[0]: "ioctl" never gets ERRNO(13) from this rule: syscalls[${allow}].names[0] gives it ALLOW without conditions, and that rule alone decides (as runc with libseccomp does)`,
      ]);
    });
  }

  test("of two unconditional rules the first decides (Podman's setns, ERRNO only without CAP_SYS_ADMIN, stays allowed)", () => {
    const syscalls = [
      { names: ["read", "setns"], action: "SCMP_ACT_ALLOW" as const },
      { names: ["bpf", "setns"], action: "SCMP_ACT_ERRNO" as const, errnoRet: 1, excludes: { caps: ["CAP_SYS_ADMIN"] } },
    ];
    const decide = decider({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls });
    expect([decide("setns"), decide("bpf")]).toEqual(["ALLOW", "ERRNO(1)"]);
    expect(compileProfile(parseProfile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls }), target()).warnings).toEqual([
      'syscalls[1].names[1]: "setns" never gets ERRNO(1) from this rule: syscalls[0].names[1] gives it ALLOW without conditions, and that rule alone decides (as runc with libseccomp does)',
    ]);
    expect(compileProfile(parseProfile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls }), target("x86_64", ["CAP_SYS_ADMIN"])).warnings).toEqual([]);
  });

  test("a rule whose action is the default action is left out, as runc leaves it out", () => {
    const syscalls = [
      { names: ["ptrace"], action: "SCMP_ACT_ERRNO" as const },
      { names: ["ptrace"], action: "SCMP_ACT_ALLOW" as const },
    ];
    const profile = { defaultAction: "SCMP_ACT_ERRNO" as const, syscalls };
    expect(decider(profile)("ptrace")).toBe("ALLOW");
    expect(compileProfile(parseProfile(profile), target()).warnings).toEqual([
      'syscalls[0].names[0]: "ptrace" never gets ERRNO(1) from this rule: syscalls[1].names[0] gives it ALLOW without conditions, and that rule alone decides (as runc with libseccomp does)',
    ]);
  });

  test("an argument rule that another, more restrictive one covers, or that never matches, is warned about", () => {
    const profile = parseProfile({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 3 }] },
        { names: ["read"], action: "SCMP_ACT_KILL_PROCESS", args: [{ index: 0, op: "SCMP_CMP_LT", value: 10 }] },
        { names: ["write"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_LT", value: 0 }] },
      ],
    });
    expect(compileProfile(profile, target()).warnings).toEqual([
      'syscalls[0].names[0]: "read" never gets ALLOW from this rule: syscalls[1].names[0] gives KILL_PROCESS wherever this rule matches (the most restrictive matching rule wins)',
      'syscalls[2].names[0]: "write" never gets ALLOW from this rule: its argument conditions never all hold',
    ]);
  });

  test("when conditional rules overlap, the most restrictive action wins, whatever their order", () => {
    const rules = [
      { names: ["socket"], action: "SCMP_ACT_ALLOW" as const, args: [{ index: 0, op: "SCMP_CMP_LT" as const, value: 38 }] },
      { names: ["socket"], action: "SCMP_ACT_ERRNO" as const, errnoRet: 97, args: [{ index: 0, op: "SCMP_CMP_EQ" as const, value: 17 }] },
    ];
    for (const syscalls of [rules, [...rules].reverse()]) {
      const decide = decider({ defaultAction: "SCMP_ACT_KILL_PROCESS", syscalls });
      expect(decide("socket", [17n])).toBe("ERRNO(97)");
      expect(decide("socket", [2n])).toBe("ALLOW");
      expect(decide("socket", [40n])).toBe("KILL_PROCESS");
    }
  });

  test("every action can be returned", () => {
    const names = ["read", "write", "open", "close", "stat", "fstat", "poll"];
    const actions = ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_ALLOW"] as const;
    const decide = decider({
      defaultAction: "SCMP_ACT_KILL",
      syscalls: actions.map((action, i) => ({ names: [names[i]!], action, ...(action === "SCMP_ACT_TRACE" || action === "SCMP_ACT_ERRNO" ? { errnoRet: 42 } : {}) })),
    });
    expect(names.map((n) => decide(n))).toEqual(["KILL_PROCESS", "KILL_THREAD", "TRAP", "ERRNO(42)", "TRACE(42)", "LOG", "ALLOW"]);
    expect(decide("lstat")).toBe("KILL_THREAD");
  });
});

describe("layout: a binary search over syscall numbers, with long jumps and a size limit", () => {
  /** Many syscalls with several argument rules each, so subtrees exceed a conditional jump's 255. */
  function heavy(syscalls: number, rulesEach: number): ProfileInput {
    const names = [...ARCHES.x86_64.syscalls.keys()].slice(0, syscalls);
    return {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: names.flatMap((name, i) =>
        Array.from({ length: rulesEach }, (_, j) => ({
          names: [name],
          action: "SCMP_ACT_ALLOW" as const,
          args: [{ index: j % 6, op: "SCMP_CMP_EQ" as const, value: BigInt(i * 1000 + j) | (1n << 40n) }],
        })),
      ),
    };
  }

  test("branches longer than 255 go through ja trampolines, and still decide right", () => {
    const profile = heavy(60, 3);
    const program = decode(compileProfile(parseProfile(profile), X86).bytes);
    expect(program.length).toBeGreaterThan(600);
    expect(program.some((ins) => ins.code === (BPF_JMP | BPF_JA) && ins.k > 255)).toBe(true);
    const decide = decider(profile);
    const names = [...ARCHES.x86_64.syscalls.keys()].slice(0, 60);
    names.forEach((name, i) => {
      for (let j = 0; j < 3; j++) {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[j % 6] = BigInt(i * 1000 + j) | (1n << 40n);
        expect(decide(name, args)).toBe("ALLOW");
        args[j % 6] = BigInt(i * 1000 + j); // same low half, high half differs
        expect(decide(name, args)).toBe("ERRNO(1)");
      }
    });
  });

  test("a syscall costs about log2(ranges) jumps, not a walk through the list", () => {
    const allowAll: ProfileInput = {
      defaultAction: "SCMP_ACT_ERRNO",
      // Every other syscall, so no two allowed numbers merge into one range.
      syscalls: [{ names: [...ARCHES.x86_64.syscalls].filter(([, nr]) => nr % 2 === 0).map(([n]) => n), action: "SCMP_ACT_ALLOW" }],
    };
    const decide = runner(compileProfile(parseProfile(allowAll), X86).bytes);
    const worst = Math.max(...Array.from({ length: 600 }, (_, nr) => decide({ nr, arch: ARCHES.x86_64.auditArch, instructionPointer: 0n, args: [] }).executed));
    expect(worst).toBeLessThanOrEqual(5 + 1 + Math.ceil(Math.log2(400)));
  });

  test(`more than ${MAX_INSTRUCTIONS} instructions is an error that says so`, () => {
    expect(() => compileProfile(parseProfile(heavy(300, 3)), X86)).toThrow(ProgramTooLargeError);
    expect(() => compileProfile(parseProfile(heavy(300, 3)), X86)).toThrow(/more than the kernel's limit of 4096/);
  });
});

test("actions are encoded as the kernel's SECCOMP_RET values", () => {
  expect([ALLOW, KILL_PROCESS, errno(ENOSYS)]).toEqual([0x7fff0000, 0x80000000, 0x00050026]);
});
