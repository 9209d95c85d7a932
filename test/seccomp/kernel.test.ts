// Kernel truth: the compiled filters installed for real, in a child, on this machine's kernel.
// Calls are made with bad fds and pointers so that "allowed" shows up as EBADF or EFAULT and
// "denied" as the profile's errno.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARCHES, X32_SYSCALL_BIT } from "../../src/seccomp/arch.ts";
import { loadSeccompProgram } from "../../src/seccomp/source.ts";
import { target } from "./fixtures.ts";

const CHILD = join(import.meta.dir, "kernel-child.ts");
const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-kernel-"));
const EPERM = 1;
const EBADF = 9;
const EFAULT = 14;
const ENOSYS = 38;
const nr = (name: string) => ARCHES.x86_64.syscalls.get(name)!;

function underFilter(profile: string, calls: (string | number | bigint)[][]) {
  const file = join(dir, `${profile}.bpf`);
  writeFileSync(file, loadSeccompProgram(profile, target("x86_64")).bytes);
  const encoded = JSON.stringify(calls.map(([n, ...args]) => [typeof n === "string" ? nr(n) : n, ...args.map(String)]));
  const r = Bun.spawnSync([process.execPath, CHILD, file, encoded], { stdout: "pipe", stderr: "pipe" });
  return { exitCode: r.exitCode, signal: r.signalCode, out: r.stdout.toString() };
}

describe.skipIf(process.arch !== "x64" || process.platform !== "linux")("the kernel enforces the compiled filters (x86_64)", () => {
  const TIOCSTI = 0x5412n;
  const TIOCLINUX = 0x541cn;
  const HIGH = 1n << 32n;

  test("default: TIOCSTI (also with high bits), TIOCLINUX, clone3, newer syscalls, AF_VSOCK", () => {
    const cases: [string, (string | number | bigint)[], number][] = [
      ["ioctl TIOCSTI", ["ioctl", -1, TIOCSTI, 0], EPERM],
      ["ioctl (1<<32)|TIOCSTI", ["ioctl", -1, HIGH | TIOCSTI, 0], EPERM],
      ["ioctl TIOCLINUX", ["ioctl", -1, TIOCLINUX, 0], EPERM],
      ["ioctl TCGETS is allowed", ["ioctl", -1, 0x5401, 0], EBADF],
      ["clone3 → ENOSYS", ["clone3", 0, 0], ENOSYS],
      ["listns is newer than the profile", ["listns", 0, 0, 0, 0], ENOSYS],
      ["mount", ["mount", 0, 0, 0, 0, 0], EPERM],
      ["socket(AF_VSOCK)", ["socket", 40, 1, 0], EPERM],
      ["socket((1<<32)|AF_VSOCK)", ["socket", HIGH | 40n, 1, 0], EPERM],
      ["read is allowed", ["read", -1, 0, 0], EBADF],
      ["uname is allowed", ["uname", 0], EFAULT],
    ];
    const r = underFilter("default", cases.map((c) => c[1]));
    expect(r.exitCode).toBe(0);
    const { results, seccompLine } = JSON.parse(r.out) as { results: number[]; seccompLine: string };
    expect(cases.map(([what], i) => [what, results[i]])).toEqual(cases.map(([what, , want]) => [what, want]));
    expect(seccompLine).toMatch(/^Seccomp:\s+2$/);
  });

  test("sandbox: ptrace, sock_diag, nested filters, io_uring, userfaultfd denied; memfd_create allowed", () => {
    const cases: [string, (string | number | bigint)[], number][] = [
      ["ptrace", ["ptrace", 0, 0, 0, 0], EPERM],
      ["socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)", ["socket", 16, 3, 4], EPERM],
      ["seccomp(SECCOMP_SET_MODE_FILTER)", ["seccomp", 1, 0, 0], EPERM],
      ["prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)", ["prctl", 22, 2, 0], EPERM],
      ["io_uring_setup", ["io_uring_setup", 1, 0], EPERM],
      ["userfaultfd", ["userfaultfd", 0], EPERM],
      ["bpf", ["bpf", 0, 0, 0], EPERM],
      ["memfd_create with a bad name pointer: allowed", ["memfd_create", 0, 0], EFAULT],
      ["ioctl (1<<32)|TIOCSTI", ["ioctl", -1, HIGH | TIOCSTI, 0], EPERM],
    ];
    const r = underFilter("sandbox", cases.map((c) => c[1]));
    expect(r.exitCode).toBe(0);
    const { results } = JSON.parse(r.out) as { results: number[] };
    expect(cases.map(([what], i) => [what, results[i]])).toEqual(cases.map(([what, , want]) => [what, want]));
  });

  test("an x32 syscall kills the process (SIGSYS)", () => {
    const r = underFilter("default", [[X32_SYSCALL_BIT | nr("getpid")]]);
    expect(r.signal).toBe("SIGSYS");
  });
});
