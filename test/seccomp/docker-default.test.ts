// Docker's default profile (shared/fixtures/seccomp/docker-default.json) compiles, and behaves as
// Docker documents it for an unprivileged container.
import { describe, expect, test } from "bun:test";
import { decode } from "../../src/seccomp/bpf.ts";
import { ProfileError } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { asker, dockerDefault, target } from "./fixtures.ts";

const profile = dockerDefault();

describe("Docker's default profile compiles", () => {
  for (const arch of ["x86_64", "aarch64"] as const) {
    test(`for ${arch}, without unknown names and well under the kernel's limit`, () => {
      const program = compileProfile(profile, target(arch));
      expect(program.warnings).toEqual([]);
      expect(decode(program.bytes).length).toBeLessThan(400);
    });
  }
});

describe("for an unprivileged container on x86_64, kernel 6.18", () => {
  const ask = asker(profile, target());
  const cases: [string, string, bigint[], string][] = [
    ["ordinary syscalls are allowed", "openat", [], "ALLOW"],
    ["mount needs CAP_SYS_ADMIN", "mount", [], "ERRNO(1)"],
    ["keyctl is not in the allow list", "keyctl", [], "ERRNO(1)"],
    ["io_uring_setup is not in the allow list", "io_uring_setup", [], "ERRNO(1)"],
    ["ptrace is allowed from kernel 4.8", "ptrace", [], "ALLOW"],
    ["personality(PER_LINUX)", "personality", [0n], "ALLOW"],
    ["personality(UNAME26)", "personality", [0x8n], "ALLOW"],
    ["personality(PER_LINUX32)", "personality", [0x20000n], "ALLOW"],
    ["personality(PER_LINUX32|UNAME26)", "personality", [0x20008n], "ALLOW"],
    ["personality(0xffffffff) queries", "personality", [0xffffffffn], "ALLOW"],
    ["personality(READ_IMPLIES_EXEC) is denied", "personality", [0x0400000n], "ERRNO(1)"],
    ["clone for a thread", "clone", [0x3d0f00n], "ALLOW"],
    ["clone with CLONE_NEWUSER", "clone", [0x10000000n], "ERRNO(1)"],
    ["clone with CLONE_NEWNS", "clone", [0x20000n], "ERRNO(1)"],
    ["clone3 gets ENOSYS so libc falls back to clone", "clone3", [], "ERRNO(38)"],
    ["socket(AF_INET)", "socket", [2n], "ALLOW"],
    ["socket(AF_NETLINK)", "socket", [16n], "ALLOW"],
    ["socket(AF_ALG) is denied", "socket", [38n], "ERRNO(1)"],
    ["socket(AF_NFC)", "socket", [39n], "ALLOW"],
    ["socket(AF_VSOCK) is denied", "socket", [40n], "ERRNO(1)"],
    ["socket(AF_XDP)", "socket", [44n], "ALLOW"],
    ["arch_prctl on amd64", "arch_prctl", [], "ALLOW"],
    ["reboot needs CAP_SYS_BOOT", "reboot", [], "ERRNO(1)"],
    ["uprobe (336) is below the profile's last syscall and not listed", "uprobe", [], "ERRNO(1)"],
    ["listns (470) is newer than the profile: ENOSYS", "listns", [], "ERRNO(38)"],
    ["rseq_slice_yield (471) too", "rseq_slice_yield", [], "ERRNO(38)"],
  ];
  for (const [what, syscall, args, want] of cases) {
    test(`${what}: ${syscall}(${args.map((a) => `0x${a.toString(16)}`).join(", ")}) → ${want}`, () => {
      expect(ask(syscall, ...args)).toBe(want);
    });
  }
  test("Docker compares socket's family on 64 bits, as libseccomp does: (1 << 32) | AF_VSOCK passes", () => {
    expect(ask("socket", (1n << 32n) | 40n)).toBe("ALLOW");
  });
});

describe("conditions follow the workload", () => {
  test("with CAP_SYS_ADMIN: mount, clone with namespaces and clone3 are allowed", () => {
    const ask = asker(profile, target("x86_64", ["CAP_SYS_ADMIN"]));
    expect([ask("mount"), ask("clone", 0x10000000n), ask("clone3"), ask("unshare")]).toEqual(["ALLOW", "ALLOW", "ALLOW", "ALLOW"]);
  });
  test("with CAP_SYS_PTRACE: kcmp, pidfd_getfd", () => {
    const ask = asker(profile, target("x86_64", ["CAP_SYS_PTRACE"]));
    expect([ask("kcmp"), ask("pidfd_getfd")]).toEqual(["ALLOW", "ALLOW"]);
    expect(asker(profile, target())("kcmp")).toBe("ERRNO(1)");
  });
  test("on a 4.4 kernel ptrace is denied (minKernel 4.8)", () => {
    expect(asker(profile, target("x86_64", [], [4, 4]))("ptrace")).toBe("ERRNO(1)");
  });
  test("on aarch64, amd64-only rules do not apply and arm names are skipped", () => {
    const ask = asker(profile, target("aarch64"));
    expect([ask("openat"), ask("clone", 0x10000000n), ask("clone3"), ask("listns")]).toEqual(["ALLOW", "ERRNO(1)", "ERRNO(38)", "ERRNO(38)"]);
  });
});

test("a name no architecture has is an error naming its place, or a warning when lenient", () => {
  const json = structuredClone({ ...profile, syscalls: [...profile.syscalls, { names: ["opne"], action: "SCMP_ACT_ALLOW" as const, args: [] }] });
  expect(() => compileProfile(json, target())).toThrow(ProfileError);
  expect(() => compileProfile(json, target())).toThrow('syscalls[33].names[0]: unknown syscall "opne": no Linux architecture has it');
  expect(compileProfile(json, target(), { lenient: true }).warnings).toEqual(['syscalls[33].names[0]: skipped unknown syscall "opne": no Linux architecture has it']);
});
