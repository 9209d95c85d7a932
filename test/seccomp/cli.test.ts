import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode } from "../../src/seccomp/bpf.ts";
import { CONTAINERS_COMMON, DOCKER_DEFAULT_PATH } from "./fixtures.ts";

const HARNESS = join(import.meta.dir, "cli-harness.ts");
const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-cli-"));

function sbx(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, HARNESS, "seccomp", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString(), bytes: new Uint8Array(r.stdout) };
}

describe("sbx seccomp", () => {
  test("list names the built-ins", () => {
    const r = sbx("list");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^default +Docker's default protections/m);
    expect(r.out).toMatch(/^sandbox +/m);
  });

  test("check prints the action and the instructions executed", () => {
    expect(sbx("check", "default", "ioctl", "0", "0x100005412", "--arch", "x86_64").out).toMatch(/^ERRNO\(1\)  \(ioctl on x86_64, \d+ instructions\)\n$/);
    expect(sbx("check", "default", "read", "--arch", "x86_64").out).toStartWith("ALLOW");
    expect(sbx("check", "default", "mount", "--arch", "x86_64", "--caps", "cap_sys_admin").out).toStartWith("ALLOW");
    expect(sbx("check", "default", "ptrace", "--arch", "x86_64", "--kernel", "4.4").out).toStartWith("ERRNO(1)");
    expect(sbx("check", DOCKER_DEFAULT_PATH, "clone3", "--arch", "aarch64").out).toStartWith("ERRNO(38)");
  });

  test("compile writes raw BPF to stdout or -o, which check and disasm read back", () => {
    const stdout = sbx("compile", "sandbox", "--arch", "x86_64");
    expect(stdout.code).toBe(0);
    expect(decode(stdout.bytes).length).toBeGreaterThan(100);
    const file = join(dir, "sandbox.bpf");
    expect(sbx("compile", "sandbox", "--arch", "x86_64", "-o", file).code).toBe(0);
    expect(new Uint8Array(readFileSync(file))).toEqual(stdout.bytes);
    expect(sbx("check", file, "ptrace", "--arch", "x86_64").out).toStartWith("ERRNO(1)");
    expect(sbx("disasm", file).out).toContain("; AUDIT_ARCH x86_64");
  });

  test("export prints Docker JSON", () => {
    const r = sbx("export", "sandbox");
    expect(JSON.parse(r.out).defaultAction).toBe("SCMP_ACT_ERRNO");
  });

  test("--seccomp-lenient skips unknown names with a warning", () => {
    const file = join(dir, "typo.json");
    writeFileSync(file, JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "opne"], action: "SCMP_ACT_ALLOW" }] }));
    const strict = sbx("check", file, "read");
    expect([strict.code, strict.err]).toEqual([2, `sbx: ${file}: syscalls[0].names[1]: unknown syscall "opne": no Linux architecture has it (--seccomp-lenient skips such names)\n`]);
    const lenient = sbx("check", file, "read", "--seccomp-lenient");
    expect(lenient.code).toBe(0);
    expect(lenient.err).toBe(`sbx seccomp: warning: syscalls[0].names[1]: skipped unknown syscall "opne": no Linux architecture has it\n`);
  });

  test("check shows a Podman user that their CAP_SYS_ADMIN setns rule is dead: setns stays allowed", () => {
    const without = sbx("check", CONTAINERS_COMMON, "setns", "--arch", "x86_64");
    expect([without.code, without.out]).toEqual([0, expect.stringMatching(/^ALLOW /)]);
    expect(without.err).toBe(
      'sbx seccomp: warning: syscalls[15].names[7]: "setns" never gets ERRNO(1) from this rule: syscalls[1].names[289] gives it ALLOW without conditions, and that rule alone decides (as runc with libseccomp does)\n',
    );
    expect(sbx("check", CONTAINERS_COMMON, "setns", "--arch", "x86_64", "--caps", "sys_admin").err).toBe("");
  });

  const X86 = ["--arch", "x86_64"];
  for (const [args, message] of [
    [["check", "default", "opne", ...X86], 'sbx: "opne" is not a syscall on x86_64'],
    [["check", "nope", "read"], 'sbx: "nope" is neither a built-in profile (default, sandbox) nor a .json or .bpf file'],
    [["check", "default", "read", "--arch", "riscv64"], 'sbx: --arch: "riscv64" is not x86_64 or aarch64'],
    [["check", "default", "read", "--kernel", "six"], 'sbx: --kernel: "six" is not a version like 6.8'],
    [["check", "default", "read", "--caps", "cap_sys_admn"], 'sbx: unknown capability "cap_sys_admn"'],
    [["check", "default", "read", "0x1ffffffffffffffff", ...X86], "sbx: argument 0x1ffffffffffffffff does not fit in 64 bits"],
    [["export", "strict"], 'sbx: no built-in profile "strict" (default, sandbox)'],
  ] as const) {
    test(`bad input exits 2 with one line: sbx seccomp ${args.join(" ")}`, () => {
      const r = sbx(...args);
      expect([r.code, r.err]).toEqual([2, `${message}\n`]);
    });
  }
});
