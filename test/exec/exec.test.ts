// `sbx exec` end to end, as root, against the real kernel. Each lane sets up the caller with a
// real tool (capsh, setpriv, unshare, an outer seccomp filter); the truth is the workload's own
// /proc/self/status. None of these may skip: a missing tool fails the test.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ExecReportSchema } from "../../src/render/report.ts";
import { capsh, requireTools } from "../support/privileged.ts";
import { run, SBX, sbx, statusFields } from "../support/sbx.ts";
import { expectNoCaps, lane as laneIn, scratch, ZERO } from "./lane.ts";

requireTools("capsh", "setpriv", "unshare", "/usr/bin/python3");

const fresh = scratch("sbx-exec-");
const lane = (args: string[], via: string[] = [], env?: Record<string, string>) => laneIn(fresh, args, via, env);

// Docker's default capability set plus sys_admin and sys_ptrace (the NemoClaw container): 0xa82c25fb.
const DOCKER_PLUS = [
  "chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap", "net_bind_service",
  "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap", "sys_admin", "sys_ptrace",
];
const lastCap = Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
/** capsh --drop of every cap not in DOCKER_PLUS: the bounding set becomes exactly 0xa82c25fb. */
function dockerPlus(): string[] {
  const keep = new Set(DOCKER_PLUS.map((n) => `cap_${n}`));
  const names = run(["capsh", `--decode=${((1n << BigInt(lastCap + 1)) - 1n).toString(16)}`]).stdout.trim().split("=")[1]!.split(",");
  const drop = names.filter((n) => !keep.has(n));
  return capsh(`--drop=${drop.join(",")}`);
}

describe("root → user, the default path", () => {
  test("NemoClaw replay: Docker default caps + sys_admin/sys_ptrace → every set empty, CapBnd 0", () => {
    const pre = run([...dockerPlus(), "sh", "-c", "grep CapBnd /proc/self/status"]);
    expect(pre.stdout.trim()).toBe("CapBnd:\t00000000a82c25fb");
    const r = lane(["--user", "nobody"], dockerPlus());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.st.Uid).toBe("65534\t65534\t65534\t65534");
    expect(r.st.Gid).toBe("65534\t65534\t65534\t65534");
    expect(r.st.Groups).toBe("65534");
    expectNoCaps(r.st);
    expect(r.st.NoNewPrivs).toBe("1");
    expect(r.st.SigBlk).toBe(ZERO);
    expect(r.st.SigIgn).toBe(ZERO);
    expect(r.fds).toEqual(["0", "1", "2"]);
    expect(r.pid).toBe(r.sbxPid); // in-place exec: same pid, no resident parent
  });

  test("T-A1: root's supplementary groups never leak; USER:GROUP gets exactly that group", () => {
    const r = lane(["--user", "1000:1000"], ["setpriv", "--groups", "0,1,2,3,4,6,10", "--"]);
    expect(r.code).toBe(0);
    expect(r.st.Groups).toBe("1000");
    expect(r.st.Uid).toBe("1000\t1000\t1000\t1000");
  });

  test("T-G1: signals ignored or blocked by the caller are reset", () => {
    const r = lane(["--user", "nobody"], ["bash", "-c", 'trap "" INT QUIT TERM HUP; exec "$@"', "bash"]);
    expect(r.code).toBe(0);
    expect(r.st.SigIgn).toBe(ZERO);
    expect(r.st.SigBlk).toBe(ZERO);
  });

  test("T-F1: an inherited non-CLOEXEC fd is closed; --preserve-fds and LISTEN_FDS keep theirs", () => {
    const leak = run(["sh", "-c", `exec 5</etc/shadow; exec ${SBX} exec --user nobody -- sh -c 'ls -m /proc/$$/fd; :'`]);
    expect(leak.code).toBe(0);
    expect(leak.stdout.trim()).toBe("0, 1, 2");
    const kept = run(["sh", "-c", `exec 3</etc/hostname 4</etc/hostname 5</etc/hostname 6</etc/hostname; exec ${SBX} exec --preserve-fds 3 --user nobody -- sh -c 'ls -m /proc/$$/fd; :'`]);
    expect(kept.stdout.trim()).toBe("0, 1, 2, 3, 4, 5");
    const listen = run(["sh", "-c", `exec 3</etc/hostname 4</etc/hostname; export LISTEN_PID=$$ LISTEN_FDS=1; exec ${SBX} exec --user nobody -- sh -c 'ls -m /proc/$$/fd; :'`]);
    expect(listen.stdout.trim()).toBe("0, 1, 2, 3");
  });

  test("--caps keeps exactly that cap for a non-root workload (ambient)", () => {
    const r = lane(["--user", "nobody", "--caps", "net_bind_service"]);
    expect(r.stderr).toBe("");
    expect(r.st.CapAmb).toBe("0000000000000400");
    expect(r.st.CapPrm).toBe("0000000000000400");
    expect(r.st.CapEff).toBe("0000000000000400");
    expect(r.st.CapBnd).toBe("0000000000000400");
  });

  test("no --user: identity unchanged, capability options still apply", () => {
    const r = lane(["--bounding-set", "-all,+net_bind_service"]);
    expect(r.code).toBe(0);
    expect(r.st.Uid).toBe("0\t0\t0\t0");
    expect(r.st.CapBnd).toBe("0000000000000400");
    expect(r.st.CapPrm).toBe("0000000000000400");
  });

  test("--report writes the sbx.exec-report/2 document: the state read back, the workload's predicted", () => {
    const file = fresh("report");
    const r = sbx(["exec", "--user", "nobody", "--report", file, "--", "true"]);
    expect(r.code).toBe(0);
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(file, "utf8")));
    expect(rep.read_back.uid.effective).toBe(65534);
    expect(rep.read_back.caps.bounding.hex).toBe(ZERO);
    expect(rep.read_back.no_new_privs).toBe(true);
    expect(rep.after_execve.uid.effective).toBe(65534);
    expect(rep.degraded).toEqual([]);
    expect(rep.exec.path).toBe("/usr/bin/true");
  });

  test("--dry-run prints the plan and predicted state and runs nothing", () => {
    const marker = fresh("marker");
    const r = sbx(["exec", "--user", "nobody", "--dry-run", "--", "sh", "-c", `touch ${marker}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("setresuid(65534, 65534, 65534)");
    expect(r.stdout).toContain("bounding:    0000000000000000");
    expect(existsSync(marker)).toBe(false);
  });

  test("T-G4: a program named --help runs; exit codes pass through", () => {
    const dir = fresh("bin");
    run(["mkdir", "-p", dir]);
    writeFileSync(join(dir, "--help"), "#!/bin/sh\necho helped\nexit 7\n", { mode: 0o755 });
    chmodSync(dir, 0o755);
    const r = sbx(["exec", "--user", "nobody", "--", "--help"], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect(r.stdout).toBe("helped\n");
    expect(r.code).toBe(7);
  });
});

describe("degraded lanes: refused by default, named and reported when allowed", () => {
  const marker = () => fresh("ran");
  const workload = (m: string) => ["--", "sh", "-c", `touch ${m}; grep CapBnd /proc/self/status`];

  function refusedThenAllowed(via: string[], name: string, code: number, extra: string[] = [], user = "nobody") {
    const m1 = marker();
    const refused = sbx(["exec", "--user", user, ...extra, ...workload(m1)], { via });
    expect(refused.code).toBe(code);
    expect(existsSync(m1)).toBe(false);
    const m2 = marker();
    const report = fresh("report");
    const allowed = sbx(["exec", "--user", user, "--allow-degraded", name, "--report", report, "--log-format", "ocsf", ...extra, ...workload(m2)], { via });
    expect(allowed.code).toBe(0);
    expect(existsSync(m2)).toBe(true);
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.degraded.map((d) => d.name)).toEqual([name as "bounding"]);
    const finding = allowed.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(finding[0]).toMatchObject({ class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 3 });
    return { refused, allowed, rep };
  }

  test("(a) root without CAP_SETPCAP (capsh --drop=cap_setpcap), staying root", () => {
    const { refused, rep } = refusedThenAllowed(capsh("--drop=cap_setpcap"), "bounding", 209, [], "root");
    expect(refused.stderr).toContain("CAP_SETPCAP");
    expect(refused.stderr).toContain("residual CapBnd=000001fffefffeff");
    expect(refused.stderr).toContain("--allow-degraded bounding");
    expect(rep.read_back.caps.bounding.hex).toBe("000001fffefffeff");
    expect(rep.read_back.no_new_privs).toBe(true);
    expect(rep.bounding.probe_before_changes).toEqual({ droppable: false, errno: "EPERM" });
  });

  test("(b) PR_CAPBSET_DROP → EPERM although CAP_SETPCAP is present (outer seccomp filter, as AppArmor does)", () => {
    const helper = fresh("deny-capbset.py");
    writeFileSync(helper, DENY_CAPBSET_DROP);
    const via = ["/usr/bin/python3", helper];
    const pre = run([...via, "sh", "-c", "grep CapEff /proc/self/status"]);
    expect(pre.stdout).toContain("000001fffeffffff"); // setpcap (bit 8) is there
    const { refused } = refusedThenAllowed(via, "bounding", 209, [], "root");
    expect(refused.stderr).toContain("EPERM");
    expect(refused.stderr).toContain("CAP_SETPCAP");
  });

  test("(a') root without CAP_SETPCAP stepping down to a non-root user: the residual set is inert — runs, not degraded", () => {
    const report = fresh("report");
    const r = lane(["--user", "nobody", "--report", report], capsh("--drop=cap_setpcap"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.st.Uid).toBe("65534\t65534\t65534\t65534");
    expectNoCaps(r.st, "000001fffefffeff");
    expect(r.st.NoNewPrivs).toBe("1");
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.degraded).toEqual([]);
    expect(rep.bounding).toMatchObject({ cleared: false, inert: true });
  });

  test("(c) user namespace (unshare -r): setgroups denied", () => {
    const { refused, allowed } = refusedThenAllowed(["unshare", "-r"], "groups", 207, [], "0:0");
    expect(refused.stderr).toContain("setgroups");
    expect(refused.stderr).toContain("/proc/self/setgroups = deny");
    expect(allowed.stdout).toContain(`CapBnd:\t${ZERO}`);
  });

  test("(d) caller already the target user: idempotent when nothing is left to drop — cleared, not inert", () => {
    const via = ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--bounding-set", "-all", "--"];
    const report = fresh("report");
    const r = lane(["--user", "1000:1000", "--report", report], via);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.st.Uid).toBe("1000\t1000\t1000\t1000");
    expectNoCaps(r.st);
    expect(r.st.NoNewPrivs).toBe("1");
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    // Nothing was left to drop, so a refused probe (no CAP_SETPCAP) did not matter.
    expect(rep.bounding).toEqual({ cleared: true, inert: false, reason: null, probe_before_changes: { droppable: false, errno: "EPERM" } });
    expect(rep.applied.map((a) => a.step)).not.toContain("uid");
  });

  // (d') `docker run --user 1000:1000` then `sbx exec --user 1000:1000`: no CAP_SETPCAP, so the full
  // bounding set stays — inert, because uid 1000 holds no caps, asks for none and gets NNP.
  const asApp = ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--"];

  test("(d') already the target user with a full bounding set: inert — runs, not degraded, reported and in --dry-run", () => {
    const full = run([...asApp, "sh", "-c", "grep CapBnd /proc/self/status"]).stdout.trim().split("\t")[1]!;
    expect(full).toBe(statusFields(readFileSync("/proc/self/status", "utf8")).CapBnd!); // the harness's own set, untouched
    const report = fresh("report");
    const r = lane(["--user", "1000:1000", "--report", report, "--log-format", "ocsf"], asApp);
    // Not degraded: no warning, only an informational OCSF finding.
    const findings = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity_id: 1, severity: "Informational", is_alert: false, finding_info: { uid: "bounding-set-inert" } });
    expect(r.code).toBe(0);
    expect(lane(["--user", "1000:1000"], asApp).stderr).toBe("");
    expect(r.st.Uid).toBe("1000\t1000\t1000\t1000");
    expectNoCaps(r.st, full);
    expect(r.st.NoNewPrivs).toBe("1");
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.degraded).toEqual([]);
    expect(rep.bounding).toMatchObject({ cleared: false, inert: true });
    expect(rep.bounding.reason).toContain("no CAP_SETPCAP");
    expect(rep.after_execve.caps.bounding.hex).toBe(full);
    const dry = sbx(["exec", "--user", "1000:1000", "--dry-run", "--", "true"], { via: asApp });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe("");
    expect(dry.stdout).toContain("kept: cannot be dropped (EPERM) but inert, not degraded");
    expect(dry.stdout).toContain("bounding set kept, inert (not degraded): ");
  });

  test("(d') --allow-new-privs makes the set matter again: refused; bounding cannot degrade without NNP; caps not held are refused", () => {
    const m = marker();
    const withPrivs = sbx(["exec", "--user", "1000:1000", "--allow-new-privs", ...workload(m)], { via: asApp });
    expect(withPrivs.code).toBe(209);
    expect(withPrivs.stderr).toContain("CAP_SETPCAP");
    const inh = sbx(["exec", "--user", "1000:1000", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw", ...workload(m)], { via: asApp });
    expect(inh.code).toBe(212);
    expect(inh.stderr).toContain("a process cannot gain capabilities");
    const degraded = sbx(["exec", "--user", "1000:1000", "--allow-new-privs", "--allow-degraded", "bounding", ...workload(m)], { via: asApp });
    expect(degraded.code).toBe(200);
    expect(degraded.stderr).toContain("--allow-degraded bounding needs no_new_privs");
    expect(existsSync(m)).toBe(false);
  });

  test("(d') the same caller asking for caps with --allow-degraded bounding: degraded, then refused because it holds none", () => {
    const m = marker();
    const r = sbx(["exec", "--user", "1000:1000", "--allow-degraded", "bounding", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw", ...workload(m)], { via: asApp });
    expect(r.code).toBe(212);
    expect(r.stderr).toContain("cap_net_raw");
    expect(r.stderr).toContain("a process cannot gain capabilities");
    expect(existsSync(m)).toBe(false);
  });

  test("(e) non-root caller asking for another user: names CAP_SETUID/CAP_SETGID and the uid", () => {
    const m = marker();
    const r = sbx(["exec", "--user", "nobody", ...workload(m)], { via: ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--"] });
    expect(r.code).toBe(202);
    expect(r.stderr).toContain("CAP_SETUID");
    expect(r.stderr).toContain("CAP_SETGID");
    expect(r.stderr).toContain("uid 1000");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(m)).toBe(false);
  });
});

describe("bad input changes nothing and runs nothing", () => {
  test.each([
    [["--user", "bogus"], 200, 'no user "bogus"'],
    [["--user", "0day"], 200, "0day"],
    [["--user", "-1"], 200, "outside 0-2147483647"],
    [["--user", "4294967295"], 200, "outside"],
    [["--user", "0:bogus"], 200, 'no group "bogus"'],
    [["--user", ":0"], 200, "user part is empty"],
    [["--user", ""], 200, "user part is empty"],
    [["--user="], 200, "user part is empty"],
    [["--user", "+0"], 200, "plainly"],
    [["--user", "nobody", "--groups", "nosuchgroup"], 200, "nosuchgroup"],
    [["--user", "nobody", "--caps", "cap_bogus"], 200, "unknown capability"],
    [["--user", "nobody", "--bounding-set", "sys_admin"], 200, "needs a + or -"],
    [["--user", "nobody", "--no-new-privs", "--allow-new-privs"], 200, "contradict"],
    [["--user", "nobody", "--allow-degraded", "everything"], 200, "valid: bounding, groups, nnp, seccomp"],
    [["--user", "nobody", "--securebits", "+bogus"], 200, "unknown flag"],
    [["--groups", "clear"], 200, "--groups needs --user"],
  ])("%j → exit %d", (args, code, text) => {
    const m = fresh("ran");
    const r = sbx(["exec", ...args, "--", "sh", "-c", `touch ${m}`]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(text);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(m)).toBe(false);
  });

  test("missing or unusable command: 127 / 126, nothing changed", () => {
    expect(sbx(["exec", "--user", "nobody", "--", "no-such-cmd"]).code).toBe(127);
    expect(sbx(["exec", "--user", "nobody", "--", "/etc/passwd"]).code).toBe(126);
    expect(sbx(["exec", "--user", "nobody"]).code).toBe(200);
  });

  test("--log-format ocsf: a refusal is also one Detection Finding line", () => {
    const r = sbx(["exec", "--log-format", "ocsf", "--", "true"], { via: capsh("--drop=cap_setpcap") });
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    const f = JSON.parse(lines[1]!);
    expect(f).toMatchObject({ class_uid: 2004, type_uid: 200401, severity_id: 4, finding_info: { uid: "bounding-set-clear-blocked" } });
    expect(f.metadata.product.name).toBe("sbx");
  });
});

describe("the runtime is part of the attack surface", () => {
  test("T-I1: env -i A=1 → exactly A=1 and HOME", () => {
    const r = run(["env", "-i", "A=1", SBX, "exec", "--user", "nobody", "--", "/usr/bin/env"]);
    expect(r.stdout).toBe("A=1\nHOME=/nonexistent\n");
  });

  test("T-I2: bunfig.toml preload and .env in the cwd are not loaded", () => {
    const dir = fresh("cwd");
    run(["mkdir", "-p", dir]);
    const m = join(dir, "preloaded");
    writeFileSync(join(dir, "bunfig.toml"), `preload = ["./evil.ts"]\n`);
    writeFileSync(join(dir, "evil.ts"), `require("fs").writeFileSync(${JSON.stringify(m)}, "x");\n`);
    writeFileSync(join(dir, ".env"), "A=evil\nB=evil\n");
    const r = run(["env", "-i", "A=1", SBX, "exec", "--user", "nobody", "--", "/usr/bin/env"], { cwd: dir });
    expect(r.stdout).toBe("A=1\nHOME=/nonexistent\n");
    expect(existsSync(m)).toBe(false);
  });

  test("BUN_BE_BUN=1 and BUN_OPTIONS=--preload have no effect", () => {
    const dir = fresh("opts");
    run(["mkdir", "-p", dir]);
    const m = join(dir, "preloaded");
    writeFileSync(join(dir, "evil.ts"), `require("fs").writeFileSync(${JSON.stringify(m)}, "x");\n`);
    const r = run(["env", "-i", "BUN_BE_BUN=1", `BUN_OPTIONS=--preload ${join(dir, "evil.ts")}`, SBX, "exec", "--user", "nobody", "--", "/usr/bin/id", "-u"], { cwd: dir });
    expect(r.stdout).toBe("65534\n");
    expect(existsSync(m)).toBe(false);
  });
});

// An outer seccomp filter returning EPERM for prctl(PR_CAPBSET_DROP) only, then exec: the
// AppArmor-under-rootless-Podman condition, with CAP_SETPCAP still in the effective set.
const DENY_CAPBSET_DROP = `
import ctypes, os, struct, sys
def ins(code, jt, jf, k): return struct.pack("HBBI", code, jt, jf, k)
LD, JEQ, RET = 0x20, 0x15, 0x06
prog = b"".join([
    ins(LD, 0, 0, 4), ins(JEQ, 0, 4, 0xC000003E),   # arch == x86_64, else allow
    ins(LD, 0, 0, 0), ins(JEQ, 0, 2, 157),          # nr == prctl, else allow
    ins(LD, 0, 0, 16), ins(JEQ, 1, 0, 24),          # arg0 == PR_CAPBSET_DROP → EPERM
    ins(RET, 0, 0, 0x7FFF0000), ins(RET, 0, 0, 0x00050001),
])
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0: sys.exit("seccomp: errno %d" % ctypes.get_errno())
os.execvp(sys.argv[1], sys.argv[1:])
`;
