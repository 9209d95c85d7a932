// The profiles runtimes ship, enforced by the kernel through `sbx exec --seccomp FILE`: what each
// call gets there is what the interpreter says the compiled filter answers (an errno, or the
// call's own result when it is allowed). containers/common's profile as a file and inside an OCI
// config.json; Podman's CAP_SYS_ADMIN setns rule is dead, so setns stays allowed.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actionOf, ALLOW, describeAction, LOG } from "../../src/seccomp/action.ts";
import { ARCHES } from "../../src/seccomp/arch.ts";
import { runner } from "../../src/seccomp/interp.ts";
import { loadSeccompProgram, workloadTarget } from "../../src/seccomp/source.ts";
import { requireTools } from "../support/privileged.ts";
import { sbx } from "../support/sbx.ts";
import { syscallProbe } from "../support/syscallProbe.ts";
import { CONTAINERS_COMMON } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-exec-profiles-"));
chmodSync(dir, 0o755); // the workload runs as nobody
const probeArgv = syscallProbe(dir);

const nr = (name: string) => ARCHES.x86_64.syscalls.get(name)!;
/** Calls that are harmless as nobody, with arguments the profile's rules look at. */
const CALLS: [string, ...bigint[]][] = [
  ["setns", 2n ** 64n - 1n, 0n], ["bpf", 0n, 0n, 0n], ["chroot", 0n], ["acct", 0n], ["kcmp", 0n, 0n, 0n, 0n, 0n],
  ["ioperm", 0n, 0n, 0n], ["open_by_handle_at", 2n ** 64n - 1n, 0n, 0n], ["clock_settime", 0n, 0n], ["vhangup"],
  ["socket", 16n, 3n, 9n], ["socket", 16n, 3n, 0n], ["socket", 2n, 2n, 0n], ["socket", 40n, 1n, 0n],
  ["personality", 0xffffffffn], ["mount", 0n, 0n, 0n, 0n, 0n], ["unshare", 0n], ["userfaultfd", 0n], ["read", 2n ** 64n - 1n, 0n, 0n],
];
const encoded = [...CALLS.map(([n, ...a]) => [nr(n), ...a]), [1000]];

function probe(options: string[]): number[] {
  const r = sbx(["exec", "--user", "nobody", ...options, "--", ...probeArgv(encoded)]);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  return (JSON.parse(r.stdout) as { results: number[] }).results;
}

describe.skipIf(process.arch !== "x64")("sbx exec enforces containers/common's profile as the interpreter decides it", () => {
  let natural: number[] = [];
  beforeAll(() => {
    requireTools("/usr/bin/python3");
    natural = probe([]);
  });
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ ociVersion: "1.0.2", process: { args: ["sh"] }, linux: { seccomp: JSON.parse(readFileSync(CONTAINERS_COMMON, "utf8")) } }));

  for (const [what, file] of [["the profile file", CONTAINERS_COMMON], ["an OCI config.json holding it", config]] as const) {
    test(`${what}: every call as decided, and the dead setns rule warned about`, () => {
      const decide = runner(loadSeccompProgram(file, workloadTarget({ arch: "x86_64" })).bytes);
      const expected = [...CALLS, ["nr 1000"] as [string]].map(([name, ...args], i) => {
        const ret = decide({ nr: i < CALLS.length ? nr(name) : 1000, arch: ARCHES.x86_64.auditArch, instructionPointer: 0n, args }).action;
        const allowed = actionOf(ret) === ALLOW || actionOf(ret) === LOG;
        return [name, ...args, allowed ? natural[i] : actionOf(ret) === actionOf(0x00050000) ? ret & 0xffff : describeAction(ret)];
      });
      const r = sbx(["exec", "--user", "nobody", "--seccomp", file, "--", ...probeArgv(encoded)]);
      expect(r.code).toBe(0);
      const got = (JSON.parse(r.stdout) as { results: number[] }).results;
      expect(expected.map((e, i) => [...e.slice(0, -1), got[i]])).toEqual(expected);
      const place = file === config ? "linux.seccomp." : "";
      expect(r.stderr).toContain(`sbx exec: warning: --seccomp ${file}: ${place}syscalls[15].names[7]: "setns" never gets ERRNO(1) from this rule`);
      // The rules mean what Podman enforces: setns allowed (EBADF), kcmp EPERM, NETLINK_AUDIT EINVAL, ENOSYS by default.
      expect([got[0], got[4], got[9], got.at(-1)]).toEqual([9, 1, 22, 38]);
    });
  }
});
