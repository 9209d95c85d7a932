// Every error names the JSON path and the offending value.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "../../src/seccomp/bpf.ts";
import { parseProfile, ProfileError, readProfileJson } from "../../src/seccomp/profile.ts";
import { compileProfile, loadSeccompProgram } from "../../src/seccomp/source.ts";
import { target } from "./fixtures.ts";

const base = { defaultAction: "SCMP_ACT_ERRNO" };
const rule = (extra: object) => ({ ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", ...extra }] });
const arg = (extra: object) => rule({ args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ", ...extra }] });

function issues(input: unknown): readonly string[] {
  try {
    compileProfile(parseProfile(input), target());
  } catch (e) {
    if (e instanceof ProfileError) return e.issues;
    throw e;
  }
  throw new Error("no error");
}

describe("validation errors", () => {
  const cases: [string, unknown, string][] = [
    ["unknown operator", arg({ op: "SCMP_CMP_EQQ" }), 'syscalls[0].args[0].op: unknown operator "SCMP_CMP_EQQ"'],
    ["unknown action", rule({ action: "SCMP_ACT_ALOW" }), 'syscalls[0].action: unknown action "SCMP_ACT_ALOW"'],
    ["user notification", rule({ action: "SCMP_ACT_NOTIFY" }), 'syscalls[0].action: "SCMP_ACT_NOTIFY" is refused: it hands each decision to a supervisor process, and sbx has none to answer it'],
    ["user notification by default", { defaultAction: "SCMP_ACT_NOTIFY" }, 'defaultAction: "SCMP_ACT_NOTIFY" is refused: it hands each decision to a supervisor process, and sbx has none to answer it'],
    ["no default action", { syscalls: [] }, "defaultAction: missing"],
    ["not an object", [], "profile: expected a seccomp profile object, got []"],
    ["rules not a list", { ...base, syscalls: {} }, "syscalls: expected an array of syscall rules, got {}"],
    ["misspelt field", { ...base, syscalls: [{ nmes: ["read"], action: "SCMP_ACT_ALLOW" }] }, 'syscalls[0].nmes: unknown field (value ["read"])'],
    ["rule without names", { ...base, syscalls: [{ action: "SCMP_ACT_ALLOW" }] }, "syscalls[0].names: missing (a rule needs names)"],
    ["both name and names", rule({ name: "write" }), "syscalls[0].name: give either name or names, not both"],
    ["argument index", arg({ index: 6 }), "syscalls[0].args[0].index: expected an argument index from 0 to 5, got 6"],
    ["negative value", arg({ value: -1 }), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got -1"],
    ["fractional value", arg({ value: 1.5 }), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 1.5"],
    ["value as a string", arg({ valueTwo: "0x10" }), 'syscalls[0].args[0].valueTwo: expected an integer from 0 to 2^64-1, got "0x10"'],
    ["65-bit value", arg({ value: 1n << 64n }), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 18446744073709551616"],
    ["errnoRet on ALLOW", rule({ errnoRet: 5 }), "syscalls[0].errnoRet: errnoRet 5 goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW"],
    ["errno past MAX_ERRNO", rule({ action: "SCMP_ACT_ERRNO", errnoRet: 5000 }), "syscalls[0].errnoRet: expected an errno from 0 to 4095, got 5000"],
    ["defaultErrnoRet on KILL", { defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 1 }, "defaultErrnoRet: defaultErrnoRet 1 goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL"],
    [
      "one argument compared twice",
      rule({ args: [{ index: 0, value: 1, op: "SCMP_CMP_NE" }, { index: 0, value: 2, op: "SCMP_CMP_NE" }] }),
      "syscalls[0].args[1].index: argument 0 is already compared by args[0]; write a separate rule for each alternative",
    ],
    ["architectures and archMap", { ...base, architectures: [], archMap: [] }, "archMap: give either architectures or archMap, not both"],
    ["unknown architecture", { ...base, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] }, 'architectures[1]: unknown architecture "SCMP_ARCH_Z80"'],
    ["capability typo", rule({ includes: { caps: ["CAP_SYS_ADMN"] } }), 'syscalls[0].includes.caps[0]: unknown capability "CAP_SYS_ADMN" (expected a name such as "CAP_SYS_ADMIN")'],
    ["capability in the wrong form", rule({ excludes: { caps: ["sys_admin"] } }), 'syscalls[0].excludes.caps[0]: unknown capability "sys_admin" (expected a name such as "CAP_SYS_ADMIN")'],
    ["Docker arch name", rule({ includes: { arches: ["x86_64"] } }), 'syscalls[0].includes.arches[0]: unknown architecture "x86_64" (Docker names them "amd64", "arm64", ...)'],
    ["kernel version", rule({ excludes: { minKernel: "4" } }), 'syscalls[0].excludes.minKernel: expected a kernel version "<major>.<minor>", got "4"'],
    ["unknown flag", { ...base, flags: ["SECCOMP_FILTER_FLAG_LOGG"] }, 'flags[0]: unknown flag "SECCOMP_FILTER_FLAG_LOGG"'],
    ["listener flag", { ...base, flags: ["SECCOMP_FILTER_FLAG_NEW_LISTENER"] }, 'flags[0]: "SECCOMP_FILTER_FLAG_NEW_LISTENER" is for user notification, which sbx does not offer (no supervisor answers it)'],
    ["unknown syscall", rule({ names: ["read", "opne"] }), 'syscalls[0].names[1]: unknown syscall "opne": no Linux architecture has it (--seccomp-lenient skips such names)'],
    ["unknown syscall, old `name` form", { ...base, syscalls: [{ name: "opne", action: "SCMP_ACT_ALLOW" }] }, 'syscalls[0].name: unknown syscall "opne": no Linux architecture has it (--seccomp-lenient skips such names)'],
  ];
  for (const [what, input, message] of cases) {
    test(`${what}: ${message}`, () => expect(issues(input)).toContain(message));
  }

  test("all problems are reported, the first one in the message", () => {
    const e = new ProfileError(["a: x", "b: y"]);
    expect(e.message).toBe("a: x (and 1 more)");
    expect(issues({ defaultAction: "SCMP_ACT_X", syscalls: [{ names: ["read"], action: "SCMP_ACT_Y" }] })).toHaveLength(2);
  });

  test("the same rule compiled twice for one syscall is fine", () => {
    expect(issues.bind(null, { ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["read"], action: "SCMP_ACT_ALLOW" }] })).toThrow("no error");
  });
});

describe("reading profiles", () => {
  test("integers beyond 2^53 keep every digit", () => {
    const p = parseProfile(readProfileJson('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}'));
    expect(p.syscalls[0]!.args[0]!.value).toBe(18446744073709551615n);
  });
  test("broken JSON", () => {
    expect(() => readProfileJson("{")).toThrow(/^profile: not valid JSON/);
  });

  const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-"));
  test("errors in a file name the file", () => {
    const file = join(dir, "p.json");
    writeFileSync(file, JSON.stringify(arg({ op: "SCMP_CMP_EQQ" })));
    expect(() => loadSeccompProgram(file, target())).toThrow(`${file}: syscalls[0].args[0].op: unknown operator "SCMP_CMP_EQQ"`);
  });
  test("a .bpf file the kernel would refuse", () => {
    const file = join(dir, "bad.bpf");
    writeFileSync(file, encode([{ code: 0x20, jt: 0, jf: 0, k: 64 }, { code: 0x06, jt: 0, jf: 0, k: 0 }]));
    expect(() => loadSeccompProgram(file, target())).toThrow(`${file}: the kernel would refuse this program: instruction 0: load from offset 64 is outside struct seccomp_data or unaligned`);
  });
  test("a .bpf file of 7 bytes", () => {
    const file = join(dir, "short.bpf");
    writeFileSync(file, new Uint8Array(7));
    expect(() => loadSeccompProgram(file, target())).toThrow("7 bytes is not a whole number of 8-byte BPF instructions");
  });
  test("a name that is no profile", () => {
    expect(() => loadSeccompProgram("strict", target())).toThrow('"strict" is neither a built-in profile (default, sandbox) nor a .json or .bpf file');
    expect(() => loadSeccompProgram(join(dir, "missing.json"), target())).toThrow(`cannot read ${join(dir, "missing.json")}: ENOENT`);
  });
});
