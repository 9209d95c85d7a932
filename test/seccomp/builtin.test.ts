import { describe, expect, test } from "bun:test";
import { describeAction } from "../../src/seccomp/action.ts";
import { ARCHES, SECCOMP_ARCHES, X32_SYSCALL_BIT } from "../../src/seccomp/arch.ts";
import { BUILTIN_PROFILES, builtinProfile } from "../../src/seccomp/builtin/index.ts";
import { runner } from "../../src/seccomp/interp.ts";
import { parseProfile, readProfileJson } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { asker, dockerDefault, target } from "./fixtures.ts";

const builtin = (name: string) => parseProfile(builtinProfile(name)!.profile);
const TIOCSTI = 0x5412n;
const TIOCLINUX = 0x541cn;
const HIGH = 1n << 32n;

describe("every built-in", () => {
  for (const b of BUILTIN_PROFILES) {
    for (const arch of SECCOMP_ARCHES) {
      test(`${b.name} compiles for ${arch} with no unknown names`, () => {
        expect(compileProfile(parseProfile(b.profile), target(arch)).warnings).toEqual([]);
      });
    }
    test(`${b.name} has no rule that never takes effect, for any capabilities, kernel or architecture`, () => {
      const caps = ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_BPF", "CAP_PERFMON", "CAP_DAC_READ_SEARCH", "CAP_SYS_NICE"];
      for (const arch of SECCOMP_ARCHES) {
        for (const held of [[], caps, ["CAP_SYS_ADMIN"], ["CAP_SYS_PTRACE"], ["CAP_BPF", "CAP_PERFMON"]]) {
          for (const kernel of [[4, 4], [6, 18]] as [number, number][]) {
            expect([arch, held, kernel, compileProfile(parseProfile(b.profile), target(arch, held, kernel)).warnings]).toEqual([arch, held, kernel, []]);
          }
        }
      }
    });
    test(`${b.name}: export prints Docker JSON that compiles to the same program`, () => {
      const json = JSON.stringify(b.profile, null, 2);
      const again = parseProfile(readProfileJson(json));
      for (const caps of [[], ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]]) {
        expect(compileProfile(again, target("x86_64", caps)).bytes).toEqual(compileProfile(parseProfile(b.profile), target("x86_64", caps)).bytes);
      }
    });
    test(`${b.name} refuses x32 and i386 syscalls on x86_64`, () => {
      const decide = runner(compileProfile(parseProfile(b.profile), target()).bytes);
      const x86 = ARCHES.x86_64.auditArch;
      expect(describeAction(decide({ nr: X32_SYSCALL_BIT | 0, arch: x86, instructionPointer: 0n, args: [] }).action)).toBe("KILL_PROCESS");
      expect(describeAction(decide({ nr: 3, arch: 0x40000003, instructionPointer: 0n, args: [] }).action)).toBe("KILL_PROCESS");
    });
    test(`${b.name} denies TIOCSTI and TIOCLINUX on the low 32 bits of the request`, () => {
      const ask = asker(parseProfile(b.profile), target());
      expect(ask("ioctl", 0n, TIOCSTI)).toBe("ERRNO(1)");
      expect(ask("ioctl", 0n, HIGH | TIOCSTI)).toBe("ERRNO(1)");
      expect(ask("ioctl", 0n, 0xffffffff_00000000n | TIOCSTI)).toBe("ERRNO(1)");
      expect(ask("ioctl", 0n, TIOCLINUX)).toBe("ERRNO(1)");
      expect(ask("ioctl", 0n, HIGH | TIOCLINUX)).toBe("ERRNO(1)");
      expect(ask("ioctl", 0n, 0x5401n)).toBe("ALLOW"); // TCGETS
      // musl passes the request as int: TIOCGPTN arrives sign-extended.
      expect(ask("ioctl", 0n, 0xffffffff_80045430n)).toBe("ALLOW");
    });
  }
});

describe("default gives what Docker's default gives, and differs only where documented", () => {
  const ARGS: bigint[][] = [
    [],
    [TIOCSTI], [0n, TIOCSTI], [0n, HIGH | TIOCLINUX], [0n, 0x5401n],
    [0n], [8n], [0x20008n], [0xffffffffn], [0x400000n], [HIGH],
    [0x3d0f00n], [0x10000000n], [0x20000n],
    [2n], [16n, 3n, 4n], [17n], [38n], [39n], [40n], [41n], [HIGH | 40n], [HIGH | 38n], [HIGH | 2n],
  ];
  /** Where `default` is stricter than Docker's default on purpose. */
  function documentedDifference(name: string | undefined, args: bigint[]): boolean {
    const low = (v: bigint | undefined) => (v ?? 0n) & 0xffffffffn;
    if (name === "ioctl") return [TIOCSTI, TIOCLINUX].includes(low(args[1]));
    if (name === "socket") return [38n, 40n].includes(low(args[0]));
    return false;
  }
  const docker = dockerDefault();
  const ours = builtin("default");
  for (const arch of SECCOMP_ARCHES) {
    for (const caps of [[], ["CAP_SYS_ADMIN"], ["CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYS_NICE"]]) {
      test(`${arch}, caps [${caps.join(", ")}]: every syscall number up to 600`, () => {
        const info = ARCHES[arch];
        const t = target(arch, caps);
        const [theirs, mine] = [runner(compileProfile(docker, t).bytes), runner(compileProfile(ours, t).bytes)];
        const names = new Map([...info.syscalls].map(([n, nr]) => [nr, n]));
        const differences: string[] = [];
        for (let nr = 0; nr <= 600; nr++) {
          for (const args of ARGS) {
            const data = { nr, arch: info.auditArch, instructionPointer: 0n, args };
            const [d, o] = [theirs(data).action, mine(data).action];
            if (d === o) continue;
            const what = `${names.get(nr) ?? nr}(${args.join(",")}): docker ${describeAction(d)}, default ${describeAction(o)}`;
            if (!documentedDifference(names.get(nr), args) || describeAction(o) !== "ERRNO(1)") differences.push(what);
          }
        }
        expect(differences).toEqual([]);
      });
    }
  }
});

describe("sandbox", () => {
  const sandbox = builtin("sandbox");
  const everyCap = ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_BPF", "CAP_PERFMON", "CAP_DAC_READ_SEARCH"];
  for (const [label, caps] of [["no capabilities", []], ["every capability Docker's rules look at", everyCap]] as const) {
    const ask = asker(sandbox, target("x86_64", [...caps]));
    const denied: [string, ...bigint[]][] = [
      ["mount"], ["umount2"], ["pivot_root"], ["fsopen"], ["open_tree"], ["move_mount"], ["mount_setattr"],
      ["setns"], ["unshare", 0x10000000n], ["clone", 0x10000000n | 0x11n],
      ["bpf"], ["perf_event_open"], ["ptrace"], ["process_vm_readv"], ["process_vm_writev"], ["pidfd_getfd"],
      ["kexec_load"], ["kexec_file_load"], ["init_module"], ["finit_module"], ["delete_module"],
      ["keyctl"], ["add_key"], ["request_key"], ["userfaultfd"],
      ["io_uring_setup"], ["io_uring_enter"], ["io_uring_register"], ["open_by_handle_at"],
      ["seccomp", 1n], ["prctl", 22n, 2n], ["prctl", HIGH | 22n, HIGH | 2n],
      ["socket", 16n, 3n, 4n], ["socket", 16n, 3n, HIGH], ["socket", 17n], ["socket", 31n], ["socket", 40n], ["socket", HIGH | 17n],
    ];
    describe(`with ${label}`, () => {
      for (const [name, ...args] of denied) {
        test(`${name}(${args.map((a) => `0x${a.toString(16)}`).join(", ")}) → ERRNO(1)`, () => expect(ask(name, ...args)).toBe("ERRNO(1)"));
      }
      test("clone3 → ENOSYS, so libc uses clone, whose flags can be checked", () => expect(ask("clone3")).toBe("ERRNO(38)"));
      for (const [name, ...args] of [
        ["memfd_create"], ["read"], ["clone", 0x3d0f00n], ["socket", 2n], ["socket", 16n, 3n, 0n], ["seccomp", 2n], ["prctl", 15n], ["prctl", 22n, 1n],
      ] as [string, ...bigint[]][]) {
        test(`${name}(${args.map((a) => `0x${a.toString(16)}`).join(", ")}) → ALLOW`, () => expect(ask(name, ...args)).toBe("ALLOW"));
      }
    });
  }
  test("with CAP_SYS_ADMIN, namespaces other than the user namespace stay possible", () => {
    const ask = asker(sandbox, target("x86_64", ["CAP_SYS_ADMIN"]));
    expect([ask("unshare", 0x20000n), ask("clone", 0x20000000n | 0x11n), ask("sethostname")]).toEqual(["ALLOW", "ALLOW", "ALLOW"]);
  });
});
