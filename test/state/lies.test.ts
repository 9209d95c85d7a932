// A kernel answer sbx depends on can be made to lie — an outer seccomp filter decides what a
// prctl returns — so each is cross-checked: with the kernel's other answers (every capability
// 0..63), with /proc/sys/kernel/cap_last_cap, with /proc/thread-self/status. A disagreement is a
// refusal naming both answers, in every command, never a conclusion that there is less to drop.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outerFilter } from "../support/outerFilter.ts";
import { run, SBX } from "../support/sbx.ts";

const dir = mkdtempSync(join(tmpdir(), "sbx-lies-"));
chmodSync(dir, 0o1777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GOSU = join(dir, "gosu");
symlinkSync(SBX, GOSU);
let seq = 0;

const EINVAL = 22;
const prctl = (option: number, more: { index: number; value: number; op: string }[] = []) => ({ names: ["prctl"], args: [{ index: 0, value: option, op: "SCMP_CMP_EQ" }, ...more] });

/** Each command under the filter: its code and its one line; a workload that must not have run. */
function everyCommand(via: string[]) {
  const m = join(dir, `ran-${seq++}`);
  const out = {
    exec: run([...via, SBX, "exec", "--", "touch", m]),
    execUser: run([...via, SBX, "exec", "--user", "nobody", "--", "touch", m]),
    caps: run([...via, SBX, "caps", "--json"]),
    doctor: run([...via, SBX, "doctor"]),
    gosu: run([...via, GOSU, "nobody", "touch", m]),
  };
  expect(existsSync(m)).toBe(false);
  for (const r of Object.values(out)) expect(r.stderr.trim().split("\n")).toHaveLength(1);
  return out;
}

describe("the kernel's last capability", () => {
  test("PR_CAPBSET_READ(1) answered EINVAL: not a prefix of the caps, refused everywhere (it used to clear cap 0 only and report an empty set)", () => {
    const r = everyCommand(outerFilter([{ ...prctl(23, [{ index: 1, value: 1, op: "SCMP_CMP_EQ" }]), errnoRet: EINVAL }]));
    const why = "PR_CAPBSET_READ accepts cap 2 but refused cap 1 with EINVAL: the kernel's answers are not consistent (an outer seccomp filter?)";
    expect(r.exec).toMatchObject({ code: 201, stderr: `sbx exec: preflight: ${why}\n` });
    expect(r.execUser.code).toBe(201);
    expect(r.caps).toMatchObject({ code: 3, stderr: `sbx: ${why}\n`, stdout: "" });
    expect(r.doctor).toMatchObject({ code: 3, stderr: `sbx: ${why}\n` });
    expect(r.gosu).toMatchObject({ code: 1, stderr: `error: ${why}\n` });
  });

  test("every cap above 0 answered EINVAL: the probe says 0, /proc/sys/kernel/cap_last_cap says more — both named", () => {
    const procLast = Number(require("node:fs").readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
    const r = everyCommand(outerFilter([{ ...prctl(23, [{ index: 1, value: 1, op: "SCMP_CMP_GE" }]), errnoRet: EINVAL }]));
    const why = `the kernel's last capability is uncertain: PR_CAPBSET_READ says 0, /proc/sys/kernel/cap_last_cap says ${procLast} (an outer seccomp filter or a mount over procfs is lying)`;
    expect(r.exec).toMatchObject({ code: 201, stderr: `sbx exec: preflight: ${why}\n` });
    expect(r.caps).toMatchObject({ code: 3, stderr: `sbx: ${why}\n` });
    expect(r.gosu).toMatchObject({ code: 1, stderr: `error: ${why}\n` });
  });

  test("…and with cap_last_cap hidden too, the capability bits above the probe's answer give the lie away", () => {
    const via = ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none /proc/sys/kernel && exec "$@"', "sh", ...outerFilter([{ ...prctl(23, [{ index: 1, value: 1, op: "SCMP_CMP_GE" }]), errnoRet: EINVAL }])];
    const r = run([...via, SBX, "caps", "--json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^sbx: .*the kernel's last capability is 0/);
  });
});

describe("state that cannot be read is a refusal, not a crash", () => {
  test.each([
    ["PR_CAP_AMBIENT → EINVAL (as on Linux < 4.3, but procfs shows CapAmb)", [{ ...prctl(47), errnoRet: EINVAL }], "cannot read the ambient set: prctl(PR_CAP_AMBIENT): EINVAL"],
    ["capget → EPERM", [{ names: ["capget"], errnoRet: 1 }], "cannot read this thread's state: capget: EPERM"],
    ["getgroups → EFAULT", [{ names: ["getgroups"], errnoRet: 14 }], "cannot read this thread's state: getgroups: EFAULT"],
    ["PR_GET_SECUREBITS → ENOSYS", [{ ...prctl(27), errnoRet: 38 }], "cannot read this thread's state: prctl(PR_GET_SECUREBITS): ENOSYS"],
  ])("%s", (_what, rules, why) => {
    const r = everyCommand(outerFilter(rules));
    expect(r.exec).toMatchObject({ code: 201, stderr: `sbx exec: preflight: ${why}\n` });
    expect(r.caps).toMatchObject({ code: 3, stderr: `sbx: ${why}\n` });
    expect(r.doctor).toMatchObject({ code: 3, stderr: `sbx: ${why}\n` });
    expect(r.gosu).toMatchObject({ code: 1, stderr: `error: ${why}\n` });
  });
});

describe("answers that contradict /proc/thread-self/status", () => {
  test("PR_GET_NO_NEW_PRIVS answered 0 (ERRNO(0)) while no_new_privs is set: refused, naming both", () => {
    const r = everyCommand(outerFilter([{ ...prctl(39), errnoRet: 0 }], { nnp: true }));
    const why = "this thread's state cannot be trusted: no_new_privs is 0 by system calls but 1 in /proc/thread-self/status";
    expect(r.exec).toMatchObject({ code: 201, stderr: `sbx exec: preflight: ${why}\n` });
    expect(r.caps).toMatchObject({ code: 3, stderr: `sbx: ${why}\n` });
  });

  test("PR_CAPBSET_READ answered 0 (ERRNO(0)) for every real cap: the bounding set looks empty but is not", () => {
    const last = Number(require("node:fs").readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
    const r = everyCommand(outerFilter([{ ...prctl(23, [{ index: 1, value: last, op: "SCMP_CMP_LE" }]), errnoRet: 0 }]));
    const full = /^CapBnd:\s*(\S+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))![1];
    expect(r.exec.code).toBe(201);
    expect(r.exec.stderr).toContain(`the bounding set is 0000000000000000 by system calls but ${full} in /proc/thread-self/status`);
    expect(r.caps.code).toBe(3);
  });

  test("…and for every cap, even past the last: the probe then claims 63 caps, which /proc/sys/kernel/cap_last_cap contradicts", () => {
    const r = everyCommand(outerFilter([{ ...prctl(23), errnoRet: 0 }]));
    expect(r.exec.code).toBe(201);
    expect(r.exec.stderr).toContain("PR_CAPBSET_READ says 63, /proc/sys/kernel/cap_last_cap says");
  });
});
