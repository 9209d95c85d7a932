// Against libseccomp as runc drives it (Debian python3-seccomp, 2.5.4 here): Docker's default
// profile, containers/common's (Podman, Buildah, CRI-O) and sbx's exported built-ins get the same
// decision from sbx's filter and from libseccomp's plus runc's ENOSYS stub, for every x86_64
// syscall number and argument values around each rule's. Numbers libseccomp cannot name are
// listed, not counted.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ARCHES } from "../../src/seccomp/arch.ts";
import { BUILTIN_PROFILES } from "../../src/seccomp/builtin/index.ts";
import { readProfileJson } from "../../src/seccomp/profile.ts";
import { CONTAINERS_COMMON, dockerDefaultJson, target } from "./fixtures.ts";
import { describeAction } from "../../src/seccomp/action.ts";
import { runner } from "../../src/seccomp/interp.ts";
import { parseProfile } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { compareWithLibseccomp, libseccompProgram, PYTHON } from "./libseccomp.ts";
import { refEvaluate, type RefProfile } from "./reference.ts";

const names = new Map([...ARCHES.x86_64.syscalls].map(([n, nr]) => [nr, n]));
const TARGETS: [string, string[]][] = [
  ["no capabilities", []],
  ["CAP_SYS_ADMIN", ["CAP_SYS_ADMIN"]],
  ["Docker's and Podman's default capabilities", ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"]],
  ["every capability the profiles look at", ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_TIME", "CAP_SYS_RAWIO", "CAP_SYS_PACCT", "CAP_SYS_NICE", "CAP_SYS_BOOT", "CAP_SYSLOG", "CAP_SYS_TTY_CONFIG", "CAP_DAC_READ_SEARCH", "CAP_BPF", "CAP_PERFMON", "CAP_AUDIT_WRITE", "CAP_SYS_CHROOT"]],
];

function agrees(what: string, profile: RefProfile, caps: string[]) {
  const r = compareWithLibseccomp(profile, target("x86_64", caps));
  expect(r.disagreements).toEqual([]);
  expect(r.agreed).toBeGreaterThan(5000);
  console.log(
    `libseccomp, ${what} [${caps.length} caps]: ${r.agreed} decisions agree; not compared: ${r.skipped.map((nr) => `${names.get(nr) ?? nr}`).join(", ") || "nothing"}`,
  );
}

// Off CI a machine without python3-seccomp skips this; CI installs it, so there it must run.
describe.skipIf(PYTHON === undefined && process.env.CI !== "true")("libseccomp agrees (x86_64)", () => {
  for (const [label, caps] of TARGETS) {
    test(`Docker's default profile, ${label}`, () => agrees("Docker's default", dockerDefaultJson() as RefProfile, caps));
    test(`containers/common's profile (${CONTAINERS_COMMON}), ${label}`, () =>
      agrees("containers/common", readProfileJson(readFileSync(CONTAINERS_COMMON, "utf8")) as RefProfile, caps));
    for (const b of BUILTIN_PROFILES) {
      test(`sbx seccomp export ${b.name}, loaded as Docker or Podman load it, ${label}`, () =>
        agrees(`export ${b.name}`, readProfileJson(JSON.stringify(b.profile)) as RefProfile, caps));
    }
  }
});

describe.skipIf(PYTHON === undefined && process.env.CI !== "true")("where libseccomp is wrong, sbx follows the profile (listed in docs/seccomp.md)", () => {
  test("two rules comparing a0, `a0 < 0` and `a0 < 2^32`: libseccomp compares the low word with the high word's constant", () => {
    const profile: RefProfile = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "SCMP_CMP_LT" }] },
        { names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 1n << 32n, op: "SCMP_CMP_LT" }] },
      ],
    };
    const t = target("x86_64");
    const [ours, theirs] = [runner(compileProfile(parseProfile(profile), t).bytes), runner(libseccompProgram(profile, t).bytes)];
    const answers = [0n, 5n, 0xffffffffn, 1n << 32n].map((a0) => {
      const data = { nr: 0, arch: ARCHES.x86_64.auditArch, instructionPointer: 0n, args: [a0] };
      return [a0, describeAction(refEvaluate(profile, t, data)), describeAction(ours(data).action), describeAction(theirs(data).action)];
    });
    expect(answers).toEqual([
      [0n, "ALLOW", "ALLOW", "ALLOW"],
      [5n, "ALLOW", "ALLOW", "ERRNO(1)"],
      [0xffffffffn, "ALLOW", "ALLOW", "ERRNO(1)"],
      [1n << 32n, "ERRNO(1)", "ERRNO(1)", "ERRNO(1)"],
    ]);
  });
});
