// --seccomp planning and the calls after the install, without privileges: which way the kernel
// will take the filter (or why not), the degradation, and what each of sbx's own calls after the
// install must do under the filter (decided by the interpreter), then how verification compares.
import { describe, expect, test } from "bun:test";
import { capBit } from "../../src/caps/mask.ts";
import { parseProfile, type ProfileInput } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { describeOp } from "../../src/render/dryRun.ts";
import { expectAfterInstall } from "../../src/stepdown/seccomp/afterInstall.ts";
import { outcomeProblem, statusProblems } from "../../src/stepdown/seccomp/inForce.ts";
import { type SeccompFilter, workloadCaps } from "../../src/stepdown/seccomp/types.ts";
import type { ProcessState } from "../../src/state/types.ts";
import type { ResolvedUser } from "../../src/identity/resolve.ts";
import { Errno } from "../../src/sys/errno.ts";
import { fail, ok } from "../../src/sys/result.ts";
import { target } from "../seccomp/fixtures.ts";
import { app, callerFacts, kinds, opOf, planOf, refusal } from "./support.ts";

const ROOT_CAPS = (1n << 41n) - 1n;
const CAP_SYS_ADMIN = capBit(21);

function caller(over: Partial<ProcessState> = {}): ProcessState {
  const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });
  return {
    pid: 1, source: "syscalls", uid: ids(0), gid: ids(0), groups: [0],
    caps: { inheritable: 0n, permitted: ROOT_CAPS, effective: ROOT_CAPS, bounding: ROOT_CAPS, ambient: 0n },
    securebits: 0, noNewPrivs: false, seccompMode: 0, seccompFilters: 1, ...over,
  };
}

function filterOf(profile: ProfileInput, name = "p.json"): SeccompFilter {
  const bytes = compileProfile(parseProfile(profile), target("x86_64")).bytes;
  return { profile: name, source: "json", bytes, flags: 0, warnings: [], sha256: "0".repeat(64), instructions: bytes.length / 8 };
}
const ALLOW_ALL = filterOf({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }, "allow.json");
const RUNS = { mode: { kind: "runs" }, status: { kind: "runs" } } as const;

function plan(args: string[], opts: { state?: ProcessState; identity?: ResolvedUser | null; refusedErrno?: number | null } = {}) {
  return planOf([...args, "--seccomp", "allow.json"], callerFacts(opts.state ?? caller()), opts.identity === undefined ? app : opts.identity, {
    seccomp: { filter: ALLOW_ALL, refusedErrno: opts.refusedErrno ? Errno.of(opts.refusedErrno) : null, after: RUNS },
  });
}

describe("planning --seccomp", () => {
  test("installed last: after no_new_privs and verify, right before exec; predicted in force", () => {
    const p = plan(["--user", "app"]);
    expect(kinds(p).slice(-6)).toEqual(["nnp", "verify", "lookup", "seccomp", "resetSignals", "execve"]);
    expect(p.seccomp).toMatchObject({ install: true, allowedBy: "nnp" });
    expect([p.predicted.seccompMode, p.predicted.seccompFilters]).toEqual([2, 2]); // on top of the caller's 1
    const text = describeOp(opOf(p, "seccomp")!, p);
    expect(text).toContain(`no_new_privs set first, step ${kinds(p).indexOf("nnp") + 1}`);
    expect(text).toContain("Seccomp_filters 1 → 2");
  });

  test("without no_new_privs: refused when CAP_SYS_ADMIN is gone at the last step, taken when a root workload still holds it", () => {
    const r = refusal(() => plan(["--user", "app", "--allow-new-privs"]));
    expect(r.step).toBe("usage");
    expect(r.message).toStartWith("--seccomp without no_new_privs: the kernel then takes a filter only from a thread holding CAP_SYS_ADMIN, and at the last step before execve this one holds none;");
    expect(plan(["--allow-new-privs"], { identity: null }).seccomp!.allowedBy).toBe("cap_sys_admin");
    const noAdmin = caller({ caps: { ...caller().caps, effective: ROOT_CAPS & ~CAP_SYS_ADMIN } });
    expect(refusal(() => plan(["--allow-new-privs"], { identity: null, state: noAdmin })).step).toBe("usage");
    expect(plan(["--user", "app", "--allow-new-privs"], { state: caller({ noNewPrivs: true }) }).seccomp!.allowedBy).toBe("nnp-inherited");
  });

  test("a kernel that refuses filters: refused with the seccomp code, or a planned, reported degradation", () => {
    const r = refusal(() => plan(["--user", "app"], { refusedErrno: 22 }));
    expect(r.step).toBe("seccomp");
    expect(r.findingUid).toBe("seccomp-filter-not-installed");
    expect(r.message).toContain("seccomp(SECCOMP_SET_MODE_FILTER): EINVAL: this kernel takes no seccomp filters");
    expect(r.message).toEndWith("accept with --allow-degraded seccomp");
    const p = plan(["--user", "app", "--allow-degraded", "seccomp"], { refusedErrno: 38 });
    expect(p.seccomp!.install).toBe(false);
    expect([p.predicted.seccompMode, p.predicted.seccompFilters]).toEqual([0, 1]); // the caller's
    expect(p.degraded.map((d) => d.name)).toEqual(["seccomp"]);
    // The kernel's status shows a Seccomp: line, so the ENOSYS came from an emulator in between.
    expect(p.degraded[0]!.reason).toContain("ENOSYS: the kernel has seccomp (/proc/thread-self/status shows Seccomp:), so sbx runs under an emulator such as qemu-user");
    const noSeccomp = () => planOf(["--user", "app", "--seccomp", "allow.json"], { ...callerFacts(caller()), kernelHasSeccomp: false }, app, { seccomp: { filter: ALLOW_ALL, refusedErrno: Errno.of(38), after: RUNS } });
    expect(refusal(noSeccomp).message).toContain("ENOSYS: this kernel has no seccomp (CONFIG_SECCOMP off, or Linux < 3.17)");
    expect(kinds(p)).not.toContain("seccomp");
    expect(p.notes.join("\n")).toContain("NOT installed");
  });

  test("Docker's conditions see the caps the workload can hold: permitted, plus bounding without no_new_privs", () => {
    const kept = plan(["--user", "app", "--caps", "net_bind_service"]);
    expect(workloadCaps(kept.predicted)).toBe(capBit(10));
    const root = plan(["--bounding-set", "-all,+sys_admin", "--allow-new-privs"], { identity: null });
    expect(workloadCaps(root.predicted)).toBe(CAP_SYS_ADMIN);
    const noNnpUser = { ...kept.predicted, noNewPrivs: false, caps: { ...kept.predicted.caps, bounding: CAP_SYS_ADMIN | capBit(10) } };
    expect(workloadCaps(noNnpUser)).toBe(CAP_SYS_ADMIN | capBit(10));
  });
});

describe("sbx's own calls after the install, decided by the filter", () => {
  const fds = { status: 5, report: 6, restoresFlags: false };
  type Rule = Omit<NonNullable<ProfileInput["syscalls"]>[number], "names">;
  const only = (name: string, rule: Rule) => filterOf({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [name], ...rule }] });

  test("an allow-all filter lets every call run", () => {
    expect(expectAfterInstall(ALLOW_ALL, fds, "--seccomp", "x86_64")).toEqual(RUNS);
  });

  test("verification calls may be denied with an errno (ERRNO(0): returns 0 unrun), which verification then expects", () => {
    expect(expectAfterInstall(only("prctl", { action: "SCMP_ACT_ERRNO", errnoRet: 13 }), fds, "--seccomp", "x86_64").mode).toEqual({ kind: "denied", errno: 13 });
    expect(expectAfterInstall(only("pread64", { action: "SCMP_ACT_ERRNO", errnoRet: 0 }), fds, "--seccomp", "x86_64").status).toEqual({ kind: "denied", errno: 0 });
  });

  test.each([
    ["prctl", { action: "SCMP_ACT_KILL_PROCESS" }, "KILL_PROCESS to prctl(PR_GET_SECCOMP), which sbx makes after installing it to verify the install"],
    ["prctl", { action: "SCMP_ACT_TRACE" }, "TRACE(1) to prctl(PR_GET_SECCOMP)"],
    ["pread64", { action: "SCMP_ACT_TRAP" }, "TRAP to pread64(fd 5) of /proc/thread-self/status"],
    ["write", { action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 6, op: "SCMP_CMP_EQ" }] }, "ERRNO(1) to write(fd 6), which sbx makes after installing it to write the report; the profile must allow it"],
    ["execve", { action: "SCMP_ACT_ERRNO", errnoRet: 0 }, "ERRNO(0) to execve, which sbx makes after installing it to start the workload"],
    ["rt_sigaction", { action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 13, op: "SCMP_CMP_EQ" }] }, "ERRNO(1) to rt_sigaction(13), which sbx makes after installing it to reset signal dispositions for the workload"],
    ["rt_sigprocmask", { action: "SCMP_ACT_KILL" }, "to rt_sigprocmask(SIG_SETMASK)"],
  ] as [string, Rule, string][])("refused, naming the call: %s %j", (name, rule, text) => {
    const r = refusal(() => expectAfterInstall(only(name, rule), fds, "--seccomp", "x86_64"));
    expect(r.step).toBe("usage");
    expect(r.message).toStartWith("--seccomp p.json: the filter answers ");
    expect(r.message).toContain(text);
  });

  test("a write to another fd than the report's is not sbx's business", () => {
    const f = only("write", { action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 7, op: "SCMP_CMP_EQ" }] });
    expect(expectAfterInstall(f, fds, "--seccomp", "x86_64").mode.kind).toBe("runs");
  });
});

describe("verification after the install", () => {
  test("each call must do what the filter says", () => {
    expect(outcomeProblem("prctl", { kind: "runs" }, ok(2))).toBeNull();
    expect(outcomeProblem("prctl", { kind: "runs" }, fail(Errno.of(1), "prctl"))).toBe("prctl failed with EPERM");
    expect(outcomeProblem("prctl", { kind: "denied", errno: 1 }, fail(Errno.of(1), "prctl"))).toBeNull();
    expect(outcomeProblem("prctl", { kind: "denied", errno: 1 }, ok(0))).toBe("prctl returned 0, but the filter answers it with ERRNO(1)");
    expect(outcomeProblem("prctl", { kind: "denied", errno: 0 }, ok(0))).toBeNull();
  });

  test("status: Seccomp 2 and exactly one filter more than before", () => {
    expect(statusProblems("Seccomp:\t2\nSeccomp_filters:\t2\n", 1)).toEqual([]);
    expect(statusProblems("Seccomp:\t2\nSeccomp_filters:\t1\n", 1)).toEqual(["/proc/thread-self/status shows Seccomp_filters: 1, expected 2 (the caller's 1 + this one)"]);
    expect(statusProblems("Seccomp:\t0\nSeccomp_filters:\t0\n", 0)).toHaveLength(2);
    expect(statusProblems("Seccomp:\t2\n", null)).toEqual([]); // before Linux 5.9: no count to compare
  });
});
