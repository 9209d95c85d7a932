// `sbx exec --seccomp` against the real kernel, as root. The workload is a probe (/usr/bin/python3
// with ctypes) making raw system calls with bad fds and pointers, so that "allowed" shows up as
// EBADF/EFAULT/EINVAL/ESRCH and "denied" as the profile's errno; its own /proc/self/status is the
// truth for identity, no_new_privs and the filter count. Outer filters for the degraded lanes are
// installed by sbx itself. None of these may skip (the x32 ABI exists only on x86_64).
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { ARCHES, runningArch, X32_SYSCALL_BIT } from "../../src/seccomp/arch.ts";
import { ExecReportSchema } from "../../src/render/report.ts";
import { requireTools } from "../support/privileged.ts";
import { run, SBX, sbx, statusFields } from "../support/sbx.ts";
import { syscallProbe } from "../support/syscallProbe.ts";
import { scratch } from "./lane.ts";

requireTools("/usr/bin/python3");

const fresh = scratch("sbx-seccomp-exec-");
const EPERM = 1, ESRCH = 3, EBADF = 9, EACCES = 13, EFAULT = 14, EINVAL = 22, ENOSYS = 38;
const TIOCSTI = 0x5412n;
const TCGETS = 0x5401n;
const CLONE_NEWUSER = 0x10000000n;
const PR_GET_NO_NEW_PRIVS = 39;
const abi = ARCHES[runningArch()];
const nr = (name: string) => abi.syscalls.get(name)!;
/** The harness's own filters: every filter sbx installs stacks on top of them. */
const OUTER = Number(statusFields(readFileSync("/proc/self/status", "utf8")).Seccomp_filters);

type Call = [string | number, ...(number | bigint)[]];
type Case = [what: string, call: Call, errno: number];
const probe = syscallProbe(dirname(fresh("probe")));
const probeArgv = (calls: Call[]) => probe(calls.map(([n, ...a]) => [typeof n === "string" ? nr(n) : n, ...a]));

/** sbx exec OPTIONS -- probe CASES; asserts it ran and each call got its errno; returns the workload's status. */
function underSbx(options: string[], cases: Case[]): Record<string, string> {
  const r = sbx(["exec", ...options, "--", ...probeArgv(cases.map((c) => c[1]))]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { results: number[]; status: Record<string, string> };
  expect(cases.map(([what], i) => [what, out.results[i]])).toEqual(cases.map(([what, , errno]) => [what, errno]));
  return out.status;
}

const json = (name: string, profile: unknown) => {
  const file = fresh(name) + ".json";
  writeFileSync(file, JSON.stringify(profile), { mode: 0o644 });
  return file;
};
const report = (file: string) => v.parse(ExecReportSchema, JSON.parse(readFileSync(file, "utf8")));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("the filter is in force on the workload, installed last", () => {
  test("default: TIOCSTI and (1<<32)|TIOCSTI → EPERM, clone3 → ENOSYS; Seccomp 2, filters = outer + 1, NNP set", () => {
    const st = underSbx(["--user", "nobody", "--seccomp", "default"], [
      ["ioctl TIOCSTI", ["ioctl", -1, TIOCSTI, 0], EPERM],
      ["ioctl (1<<32)|TIOCSTI", ["ioctl", -1, (1n << 32n) | TIOCSTI, 0], EPERM],
      ["ioctl TCGETS is allowed", ["ioctl", -1, TCGETS, 0], EBADF],
      ["clone3 → ENOSYS (libc falls back to clone)", ["clone3", 0, 0], ENOSYS],
      ["read is allowed", ["read", -1, 0, 0], EBADF],
    ]);
    expect(st.Uid).toBe("65534\t65534\t65534\t65534");
    expect(st.NoNewPrivs).toBe("1");
    expect(st.Seccomp).toBe("2");
    expect(st.Seccomp_filters).toBe(String(OUTER + 1));
  });

  test.skipIf(process.arch !== "x64")("default: an x32 syscall kills the workload (SIGSYS: exit 159 via the shell)", () => {
    const x32 = probeArgv([[X32_SYSCALL_BIT | nr("getpid")]]).map((a) => `'${a}'`).join(" ");
    const r = sbx(["exec", "--user", "nobody", "--seccomp", "default", "--", "sh", "-c", `${x32}; echo "exit $?"`]);
    expect(r.stdout).toBe("exit 159\n");
    expect(r.code).toBe(0);
  });

  // One root workload keeping sys_admin, bpf and sys_ptrace: Docker's conditions give `default` the
  // syscalls those caps allow; `sandbox` denies them whatever the workload kept.
  const KEEP = ["--bounding-set", "-all,+sys_admin,+bpf,+sys_ptrace"];
  const calls = (mount: number, unshare: number, bpf: number, ptrace: number): Case[] => [
    ["mount", ["mount", 0, 0, 0, 0, 0], mount],
    ["unshare(CLONE_NEWUSER|bogus)", ["unshare", CLONE_NEWUSER | 1n], unshare],
    ["bpf", ["bpf", 0, 0, 8], bpf],
    ["ptrace(PTRACE_ATTACH, 0)", ["ptrace", 16, 0, 0, 0], ptrace],
    ["memfd_create is allowed", ["memfd_create", 0, 0], EFAULT],
  ];

  test("Docker's conditions follow the workload's final caps: default with sys_admin/bpf/sys_ptrace kept allows mount, unshare, bpf", () => {
    underSbx(["--seccomp", "default", ...KEEP], calls(EFAULT, EINVAL, EFAULT, ESRCH));
    underSbx(["--seccomp", "default", "--bounding-set", "-all"], calls(EPERM, EPERM, EPERM, ESRCH));
  });

  test("sandbox: mount, unshare(CLONE_NEWUSER), bpf, ptrace → EPERM with the same caps; memfd_create works", () => {
    underSbx(["--seccomp", "sandbox", ...KEEP], calls(EPERM, EPERM, EPERM, EPERM));
  });

  test("a JSON profile's ERRNO(ENOSYS) and ERRNO(EACCES) come back exactly; the report names the program by sha256", () => {
    const file = json("errnos", {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["fchmod"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
        { names: ["fchown"], action: "SCMP_ACT_ERRNO", errnoRet: EACCES },
      ],
    });
    const rep = fresh("report");
    underSbx(["--user", "nobody", "--seccomp", file, "--report", rep], [
      ["fchmod → ENOSYS", ["fchmod", -1, 0], ENOSYS],
      ["fchown → EACCES", ["fchown", -1, 0, 0], EACCES],
      ["fchdir is allowed", ["fchdir", -1], EBADF],
    ]);
    const compiled = new Uint8Array(Bun.spawnSync([SBX, "seccomp", "compile", file]).stdout); // built for no caps, as nobody has
    expect(report(rep).seccomp).toEqual({ profile: file, source: "json", sha256: sha256(compiled), instructions: compiled.length / 8, flags: 0, warnings: [], installed: true });
    expect(report(rep).read_back.seccomp).toEqual({ mode: "filter", filters: OUTER + 1 });
    expect(report(rep).after_execve.seccomp).toEqual({ mode: "filter", filters: OUTER + 1 });
  });

  test("a .bpf made by sbx seccomp compile is installed as it is", () => {
    const file = fresh("default") + ".bpf";
    expect(run([SBX, "seccomp", "compile", "default", "-o", file]).code).toBe(0);
    const rep = fresh("report");
    underSbx(["--user", "nobody", "--seccomp", file, "--report", rep], [["ioctl (1<<32)|TIOCSTI", ["ioctl", -1, (1n << 32n) | TIOCSTI, 0], EPERM]]);
    expect(report(rep).seccomp).toMatchObject({ source: "bpf", sha256: sha256(readFileSync(file)), installed: true });
  });

  test("T-D5: with NNP, a profile denying setresuid, setgroups, capset and prctl still works: the filter comes last", () => {
    const file = json("deny-creds", {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["setresuid", "setresgid", "setuid", "setgid", "setgroups", "capset", "prctl"], action: "SCMP_ACT_ERRNO" }],
    });
    const rep = fresh("report");
    const st = underSbx(["--user", "nobody", "--seccomp", file, "--report", rep], [["prctl(PR_GET_NO_NEW_PRIVS) → EPERM", ["prctl", PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0], EPERM]]);
    expect(st.Uid).toBe("65534\t65534\t65534\t65534");
    expect(st.CapBnd).toBe("0000000000000000");
    expect(st.Seccomp).toBe("2");
    // Signals are reset after the report's write, so the report does not list them.
    expect(report(rep).applied.map((a) => a.step)).toEqual(["fds", "groups", "gid", "bounding", "uid", "caps", "nnp", "verify", "seccomp"]);
  });

  test("the fds sbx keeps for after the install (status, report) do not reach the workload; preserved ones do", () => {
    const r = run(["sh", "-c", `exec 3</etc/hostname 4</etc/hostname; exec ${SBX} exec --preserve-fds 2 --seccomp default --report ${fresh("report")} --user nobody -- sh -c 'ls -m /proc/$$/fd; :'`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0, 1, 2, 3, 4\n");
  });
});

describe("without no_new_privs", () => {
  test("refused for a workload that no longer holds CAP_SYS_ADMIN at the last step; nothing ran", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--allow-new-privs", "--seccomp", "default", "--", "touch", m]);
    expect(r.code).toBe(200);
    expect(r.stderr).toStartWith("sbx exec: usage: --seccomp without no_new_privs: the kernel then takes a filter only from a thread holding CAP_SYS_ADMIN");
    expect(r.stderr).toContain("drop --allow-new-privs");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(m)).toBe(false);
  });

  test("a root workload keeps its effective set until execve: installed last, with CAP_SYS_ADMIN, and said so", () => {
    const st = underSbx(["--allow-new-privs", "--seccomp", "default"], [["ioctl TIOCSTI", ["ioctl", -1, TIOCSTI, 0], EPERM]]);
    expect(st.NoNewPrivs).toBe("0");
    expect(st.Seccomp).toBe("2");
    const dry = sbx(["exec", "--allow-new-privs", "--seccomp", "default", "--dry-run", "--", "true"]);
    expect(dry.stdout).toContain("WITHOUT no_new_privs, --allow-new-privs: the kernel takes it because CAP_SYS_ADMIN is still effective");
  });
});

describe("--dry-run", () => {
  test("shows the seccomp step after verify: profile, instructions, no_new_privs first; nothing runs", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--seccomp", "sandbox", "--dry-run", "--", "touch", m]);
    expect(r.code).toBe(0);
    const steps = r.stdout.split("\n").filter((l) => /^ +\d+\. /.test(l));
    const at = (name: string) => steps.findIndex((l) => l.includes(`. ${name.padEnd(10)} `));
    expect(at("nnp")).toBeLessThan(at("verify"));
    expect(at("verify")).toBeLessThan(at("seccomp"));
    expect(steps.slice(at("seccomp") + 1).map((l) => l.split(/\s+/)[2])).toEqual(["signals", "exec"]);
    const compiled = Bun.spawnSync([SBX, "seccomp", "compile", "sandbox"]).stdout.length / 8;
    expect(steps[at("seccomp")]).toContain(`install "sandbox" (builtin, ${compiled} instructions, sha256 `);
    expect(steps[at("seccomp")]).toContain(`(no_new_privs set first, step ${at("nnp") + 1})`);
    expect(steps[at("seccomp")]).toContain(`Seccomp_filters ${OUTER} → ${OUTER + 1}`);
    expect(r.stdout).toContain(`  seccomp: filter "sandbox" installed by sbx`);
    expect(existsSync(m)).toBe(false);
  });
});

// The outer filter comes from sbx itself (no --user, so only the caps the inner sbx needs are kept).
const OUTER_SBX = ["exec", "--bounding-set", "-all,+setuid,+setgid,+setpcap", "--seccomp"];

describe("--allow-degraded seccomp: reached for real under an outer filter", () => {
  test.each([
    ["answers every seccomp(2) with EINVAL: refused at the probe, before any change", { index: 0, value: 1, op: "SCMP_CMP_EQ" }, EINVAL, "EINVAL: this kernel takes no seccomp filters (CONFIG_SECCOMP_FILTER off), or an outer seccomp filter answers EINVAL"],
    ["answers only a real program with EPERM: the install itself fails, after the step-down", { index: 2, value: 0, op: "SCMP_CMP_NE" }, EPERM, "EPERM: an outer seccomp filter (or an LSM) refuses new filters"],
  ])("an outer filter that %s", (_what, arg, errnoRet, cause) => {
    const outer = json("outer", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["seccomp"], action: "SCMP_ACT_ERRNO", errnoRet, args: [arg] }] });
    const via = [SBX, ...OUTER_SBX, outer, "--"];
    // Which of the two: the probe (NULL program) is refused at planning, so even a dry run is.
    const dry = sbx(["exec", "--user", "nobody", "--seccomp", "default", "--dry-run", "--", "true"], { via });
    expect(dry.code).toBe(errnoRet === EINVAL ? 216 : 0);
    const m1 = fresh("ran");
    const refused = sbx(["exec", "--user", "nobody", "--seccomp", "default", "--", "touch", m1], { via });
    expect(refused.code).toBe(216);
    expect(refused.stderr).toBe(`sbx exec: seccomp: seccomp(SECCOMP_SET_MODE_FILTER): ${cause}; the workload would run without the "default" filter — accept with --allow-degraded seccomp\n`);
    expect(existsSync(m1)).toBe(false);

    const rep = fresh("report");
    const allowed = sbx(["exec", "--user", "nobody", "--seccomp", "default", "--allow-degraded", "seccomp", "--report", rep, "--log-format", "ocsf", "--", ...probeArgv([["ioctl", -1, TIOCSTI, 0]])], { via });
    expect(allowed.code).toBe(0);
    const out = JSON.parse(allowed.stdout) as { results: number[]; status: Record<string, string> };
    expect(out.results).toEqual([EBADF]); // no filter of ours: TIOCSTI reaches the kernel
    expect(out.status.Seccomp_filters).toBe(String(OUTER + 1)); // the outer one only
    const lines = allowed.stderr.trim().split("\n");
    expect(lines[0]).toStartWith(`sbx exec: warning: running DEGRADED (seccomp): seccomp(SECCOMP_SET_MODE_FILTER): ${cause}; running without the "default" filter`);
    expect(JSON.parse(lines[1]!)).toMatchObject({ class_uid: 2004, type_uid: 200401, severity_id: 3, finding_info: { uid: "seccomp-filter-not-installed" } });
    const r = report(rep);
    expect(r.degraded.map((d) => [d.name, d.finding_uid])).toEqual([["seccomp", "seccomp-filter-not-installed"]]);
    expect(r.seccomp).toMatchObject({ profile: "default", source: "builtin", installed: false });
    expect(r.read_back.uid.effective).toBe(65534);
  });
});

describe("a bad profile changes nothing and runs nothing (exit 200, one line)", () => {
  const profiles = {
    badOp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQQ" }] }] },
    typo: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["fchmod", "opne"], action: "SCMP_ACT_ERRNO" }] },
    notify: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOTIFY" }] },
    huge: { defaultAction: "SCMP_ACT_ALLOW", syscalls: Array.from({ length: 2500 }, (_, i) => ({ names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 2 * i, op: "SCMP_CMP_EQ" }] })) },
    killPrctl: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["prctl"], action: "SCMP_ACT_KILL_PROCESS" }] },
    denyExecve: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["execve"], action: "SCMP_ACT_ERRNO" }] },
    denyReportWrite: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["write"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 2, op: "SCMP_CMP_GT" }] }] },
  };
  const file = (name: keyof typeof profiles) => json(name, profiles[name]);
  const broken = fresh("broken") + ".json";
  writeFileSync(broken, '{"defaultAction":');
  const short = fresh("short") + ".bpf";
  writeFileSync(short, "abc");

  test.each([
    [["--seccomp", "nope"], '--seccomp: "nope" is neither a built-in profile (default, sandbox) nor a .json or .bpf file'],
    [["--seccomp", "/no/such.json"], "--seccomp: cannot read /no/such.json: ENOENT"],
    [["--seccomp", broken], `--seccomp: ${broken}: profile: not valid JSON`],
    [["--seccomp", file("badOp")], 'syscalls[0].args[0].op: unknown operator "SCMP_CMP_EQQ"'],
    [["--seccomp", file("typo")], 'syscalls[0].names[1]: unknown syscall "opne": no Linux architecture has it (--seccomp-lenient skips such names)'],
    [["--seccomp", file("notify")], '"SCMP_ACT_NOTIFY" is refused'],
    [["--seccomp", file("huge")], "more than the kernel's limit of 4096"],
    [["--seccomp", short], `--seccomp: ${short}: the kernel would refuse this program: 3 bytes is not a whole number`],
    [["--seccomp", file("killPrctl")], "the filter answers KILL_PROCESS to prctl(PR_GET_SECCOMP), which sbx makes after installing it to verify the install"],
    [["--seccomp", file("denyExecve")], "the filter answers ERRNO(1) to execve, which sbx makes after installing it to start the workload; the profile must allow it"],
    [["--seccomp", file("denyReportWrite"), "--report", fresh("report")], "the filter answers ERRNO(1) to write(fd "],
    [["--seccomp-lenient"], "--seccomp-lenient needs --seccomp PROFILE"],
    [["--seccomp", ""], "--seccomp needs a value"],
    [["--allow-degraded", "seccomp2"], "valid: bounding, groups, nnp, seccomp"],
  ])("%j", (args, text) => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", ...args, "--", "sh", "-c", `touch ${m}`]);
    expect(r.code).toBe(200);
    expect(r.stderr).toContain(text);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(m)).toBe(false);
  });

  test("--seccomp-lenient skips the unknown name with one warning, recorded in the report, and runs", () => {
    const typo = file("typo");
    const rep = fresh("report");
    const r = sbx(["exec", "--user", "nobody", "--seccomp", typo, "--seccomp-lenient", "--report", rep, "--", ...probeArgv([["fchmod", -1, 0]])]);
    const skipped = 'syscalls[0].names[1]: skipped unknown syscall "opne": no Linux architecture has it';
    expect(r.stderr).toBe(`sbx exec: warning: --seccomp ${typo}: ${skipped}\n`);
    expect(JSON.parse(r.stdout).results).toEqual([EPERM]);
    expect(report(rep).seccomp!.warnings).toEqual([skipped]);
  });
});
