// `sbx doctor` against the real kernel. Each lane sets up the process with a real tool (capsh,
// setpriv, unshare, chmod, setcap, chown); the truth is what the shell that execs sbx reads from
// its own /proc files, or what an independent tool (getcap, a C probe) says.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { DoctorReportSchema, type DoctorReport } from "../../src/doctor/schema.ts";
import { outerFilter } from "../support/outerFilter.ts";
import { capsh, requireTools } from "../support/privileged.ts";
import { run, SBX, sbx, statusFields } from "../support/sbx.ts";

// Truth files are written by lanes running as uid 1000 too; the copies of sbx live apart, in a
// root-owned 0755 directory, so only what a test does to them can make them unsafe.
const truthDir = mkdtempSync(join(tmpdir(), "sbx-doctor-truth-"));
chmodSync(truthDir, 0o1777);
const binDir = realpathSync(mkdtempSync(join(tmpdir(), "sbx-doctor-bin-")));
chmodSync(binDir, 0o755);
let seq = 0;

afterAll(() => {
  rmSync(truthDir, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

interface Lane {
  code: number;
  report: DoctorReport;
  /** The exec'ing shell's own view, read just before it became sbx (same pid). */
  status: Record<string, string>;
  uidMap: string;
  setgroups: string;
  label: string | null;
}

function doctorVia(via: string[], exe = SBX): Lane {
  const d = join(truthDir, String(seq++));
  mkdirSync(d, { mode: 0o777 });
  chmodSync(d, 0o777);
  const script = [
    `cat /proc/$$/status > ${d}/status`,
    `cat /proc/$$/uid_map > ${d}/uid_map`,
    `cat /proc/$$/setgroups > ${d}/setgroups`,
    `cat /proc/$$/attr/current > ${d}/label 2>/dev/null || rm -f ${d}/label`,
    `exec ${exe} doctor --json`,
  ].join("; ");
  const r = run([...via, "sh", "-c", script]);
  expect(r.stderr).toBe("");
  const report = v.parse(DoctorReportSchema, JSON.parse(r.stdout));
  const label = existsSync(`${d}/label`) ? readFileSync(`${d}/label`, "utf8").replace(/[\0\n]+$/, "") : null;
  return {
    code: r.code,
    report,
    status: statusFields(readFileSync(`${d}/status`, "utf8")),
    uidMap: readFileSync(`${d}/uid_map`, "utf8"),
    setgroups: readFileSync(`${d}/setgroups`, "utf8").trim(),
    label: label === "" ? null : label,
  };
}

const finding = (r: DoctorReport, id: string) => r.findings.find((f) => f.id === id);
const levels = (r: DoctorReport) => Object.fromEntries(r.findings.map((f) => [f.id, f.level]));
const problems = (r: DoctorReport) => r.findings.some((f) => f.level === "warn" || f.level === "fail");
const hasBit = (hex: string, n: number) => (BigInt("0x" + hex) >> BigInt(n)) & 1n;
const CAP_SETPCAP = 8;

/** A copy of dist/sbx in binDir (or a subdirectory of it), prepared by `setup`. */
function copyOfSbx(name: string, setup: (path: string) => void, dir = binDir): string {
  const path = join(dir, name);
  copyFileSync(SBX, path);
  chmodSync(path, 0o755);
  setup(path);
  return path;
}

/** Landlock's answer from a C program, independent of sbx's FFI path. */
let landlockTruth = "";
beforeAll(() => {
  requireTools("capsh", "setpriv", "unshare", "setcap", "getcap", "gcc");
  const src = join(binDir, "landlock.c");
  writeFileSync(
    src,
    `#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n` +
      `int main(void) { long r = syscall(444, 0, 0, 1UL); if (r < 0) printf("errno %d\\n", errno); else printf("abi %ld\\n", r); return 0; }\n`,
  );
  const cc = run(["gcc", "-o", join(binDir, "landlock"), src]);
  expect(cc.stderr).toBe("");
  landlockTruth = run([join(binDir, "landlock")]).stdout.trim();
});

describe("sbx doctor --json in real lanes", () => {
  test("plain root: every fact matches the kernel's own files", () => {
    const { code, report: r, status, uidMap, setgroups, label } = doctorVia([]);
    const num = (path: string) => Number(readFileSync(path, "utf8").trim());
    expect(r.kernel.release).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
    expect(r.kernel.last_cap).toBe(num("/proc/sys/kernel/cap_last_cap"));
    expect(r.kernel.proc_last_cap).toBe(r.kernel.last_cap);
    expect(r.kernel.last_cap_agrees).toBe(true);
    expect(r.caps.effective).toBe(status.CapEff!);
    expect(r.caps.bounding).toBe(status.CapBnd!);
    expect(r.caps.setpcap_effective).toBe(hasBit(status.CapEff!, CAP_SETPCAP) === 1n);
    expect(r.caps.bounding_drop).toEqual({ droppable: true, errno: null });
    expect(r.no_new_privs).toBe(status.NoNewPrivs === "1");
    expect(r.seccomp.mode).toBe((["disabled", "strict", "filter"] as const)[Number(status.Seccomp)]!);
    expect(r.seccomp.filters).toBe(Number(status.Seccomp_filters));
    expect(r.seccomp.filter_available).toBe(true);
    expect(r.seccomp.actions_avail).toEqual(readFileSync("/proc/sys/kernel/seccomp/actions_avail", "utf8").trim().split(" "));
    expect(landlockTruth).toBe(r.landlock.abi !== null ? `abi ${r.landlock.abi}` : `errno ${{ ENOSYS: 38, EOPNOTSUPP: 95 }[r.landlock.errno!]}`);
    const identity = uidMap.trim().split(/\s+/).join(" ") === "0 0 4294967295";
    expect(r.userns.in_user_namespace).toBe(!identity);
    expect(r.userns.setgroups).toBe(setgroups as "allow");
    expect(r.lsm.label).toBe(label);
    const tiocsti = "/proc/sys/dev/tty/legacy_tiocsti";
    expect(r.tty.legacy_tiocsti).toBe(existsSync(tiocsti) ? num(tiocsti) : null);
    const st = statSync(SBX);
    expect(r.binary).toMatchObject({
      path: realpathSync(SBX),
      mode: (st.mode & 0o7777).toString(8).padStart(4, "0"),
      uid: st.uid,
      gid: st.gid,
      setuid: false,
      setgid: false,
      file_caps: null,
      file_caps_errno: null,
    });
    expect(r.at_secure).toBe(false);
    expect(levels(r)).toMatchObject({ "caps.setpcap": "ok", "caps.bounding_drop": "ok", at_secure: "ok" });
    expect(code).toBe(problems(r) ? 1 : 0);
  });

  test("capsh --drop=cap_setpcap: not effective, the drop is refused with EPERM, exit 1", () => {
    const { code, report: r, status } = doctorVia(capsh("--drop=cap_setpcap"));
    expect(hasBit(status.CapEff!, CAP_SETPCAP)).toBe(0n);
    expect(r.caps.effective).toBe(status.CapEff!);
    expect(r.caps.setpcap_effective).toBe(false);
    expect(r.caps.bounding_drop).toEqual({ droppable: false, errno: "EPERM" });
    expect(finding(r, "caps.bounding_drop")).toEqual({
      id: "caps.bounding_drop",
      level: "fail",
      text: "bounding set cannot be cleared here (PR_CAPBSET_DROP: EPERM, no CAP_SETPCAP); sbx exec keeps it, as inert and not degraded, for a non-root target under no_new_privs (e.g. --user app), and refuses (209) for a root target unless --allow-degraded bounding",
    });
    expect(code).toBe(1);
  });

  // doctor's verdict is what sbx exec does there with its defaults (the caller as the target).
  test("docker run --user 1000:1000: the bounding set that cannot go is inert, info, exit 0 — and sbx exec runs", () => {
    const as1000 = ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--"];
    const { code, report: r } = doctorVia(as1000);
    expect(r.caller.uid.effective).toBe(1000);
    expect(levels(r)).toMatchObject({ "caps.bounding_drop": "info", "caps.switch": "info" });
    expect(code).toBe(problems(r) ? 1 : 0);
    expect(run([...as1000, SBX, "exec", "--", "true"]).code).toBe(0);
  });

  test("root without CAP_SETUID/CAP_SETGID: doctor fails caps.switch — as sbx exec --user refuses (202)", () => {
    const { code, report: r } = doctorVia(capsh("--drop=cap_setuid,cap_setgid"));
    expect(r.caps).toMatchObject({ setuid_effective: false, setgid_effective: false });
    expect(finding(r, "caps.switch")!.level).toBe("fail");
    expect(code).toBe(1);
    expect(sbx(["exec", "--user", "nobody", "--", "true"], { via: capsh("--drop=cap_setuid,cap_setgid") }).code).toBe(202);
  });

  test("an outer filter refusing setresuid: the no-change probe sees it — as sbx exec --user fails (211)", () => {
    const via = outerFilter([{ names: ["setresuid"], errnoRet: 1 }]);
    const { code, report: r } = doctorVia(via);
    expect(r.caps.switch).toEqual({ setgroups: null, setresgid: null, setresuid: "EPERM" });
    expect(finding(r, "caps.switch")!.level).toBe("fail");
    expect(code).toBe(1);
    expect(sbx(["exec", "--user", "nobody", "--", "true"], { via }).code).toBe(211);
  });

  test("unshare -r: a user namespace, its map and setgroups as /proc shows them", () => {
    const { code, report: r, uidMap, setgroups } = doctorVia(["unshare", "-r", "--"]);
    const truth = uidMap.trim().split("\n").map((l) => {
      const [inside, outside, count] = l.trim().split(/\s+/).map(Number);
      return { inside, outside, count };
    });
    expect(r.userns.uid_map).toEqual(truth as NonNullable<typeof r.userns.uid_map>);
    expect(r.userns.in_user_namespace).toBe(true);
    expect(setgroups).toBe("deny");
    expect(r.userns.setgroups).toBe("deny");
    expect(levels(r)).toMatchObject({ userns: "info", "userns.setgroups": "fail" });
    expect(code).toBe(1);
  });

  test("setpriv --nnp: no_new_privs is reported as set", () => {
    const { report: r, status } = doctorVia(["setpriv", "--nnp", "--"]);
    expect(status.NoNewPrivs).toBe("1");
    expect(r.no_new_privs).toBe(true);
    expect(finding(r, "nnp")?.level).toBe("info");
  });

  test("active LSMs come from securityfs when it is mounted", () => {
    const d = join(truthDir, "lsm");
    const r = run([
      "unshare", "-m", "--propagation", "private", "sh", "-c",
      `mount -t securityfs none /sys/kernel/security && cat /sys/kernel/security/lsm > ${d} && exec ${SBX} doctor --json`,
    ]);
    expect(r.stderr).toBe("");
    const report = v.parse(DoctorReportSchema, JSON.parse(r.stdout));
    expect(report.lsm.active).toEqual(readFileSync(d, "utf8").trim().split(","));
  });
});

describe("sbx doctor flags an unsafe installation of itself", () => {
  test("setuid: warned, and AT_SECURE when a non-root user runs it", () => {
    const exe = copyOfSbx("setuid", (p) => chmodSync(p, 0o4755));
    const root = doctorVia([], exe);
    expect(root.report.binary).toMatchObject({ path: exe, mode: "4755", setuid: true, setgid: false });
    expect(finding(root.report, "binary.setuid")?.level).toBe("warn");
    expect(root.report.at_secure).toBe(false);
    expect(root.code).toBe(1);
    // Executing a setuid-root file as uid 1000 is a privilege boundary: the kernel sets AT_SECURE.
    const user = doctorVia(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--"], exe);
    expect(user.status.Uid!.split("\t")[0]).toBe("1000");
    expect(user.report.at_secure).toBe(true);
    expect(finding(user.report, "at_secure")?.level).toBe("warn");
  });

  test("setgid: warned", () => {
    const exe = copyOfSbx("setgid", (p) => chmodSync(p, 0o2755));
    const { code, report: r } = doctorVia([], exe);
    expect(r.binary).toMatchObject({ mode: "2755", setuid: false, setgid: true });
    expect(finding(r, "binary.setgid")?.level).toBe("warn");
    expect(code).toBe(1);
  });

  test("file capabilities (setcap cap_setuid+ep): warned, and named as getcap names them", () => {
    const exe = copyOfSbx("filecaps", (p) => expect(run(["setcap", "cap_setuid+ep", p]).code).toBe(0));
    const { code, report: r } = doctorVia([], exe);
    const getcap = run(["getcap", exe]).stdout.trim();
    expect(getcap).toBe(`${exe} cap_setuid=ep`);
    expect(`${exe} ${r.binary!.file_caps}`).toBe(getcap);
    expect(finding(r, "binary.file_caps")?.text).toContain("has file capabilities (cap_setuid=ep)");
    expect(code).toBe(1);
  });

  test("owned by a non-root user, or world-writable: warned with the reason", () => {
    const owned = copyOfSbx("owned", (p) => chownSync(p, 1000, 1000));
    const a = doctorVia([], owned).report;
    expect(a.binary).toMatchObject({ uid: 1000, gid: 1000 });
    expect(a.binary!.replaceable_by_non_root).toEqual([`${owned} is owned by uid 1000`]);
    expect(finding(a, "binary.writable")?.level).toBe("warn");

    const open = copyOfSbx("world-writable", (p) => chmodSync(p, 0o757));
    const b = doctorVia([], open).report;
    expect(b.binary!.replaceable_by_non_root).toEqual([`${open} is world-writable`]);
    expect(finding(b, "binary.writable")?.level).toBe("warn");
  });

  test("a root-owned binary in a directory others can write to: warned", () => {
    const dir = join(binDir, "open-dir");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const exe = copyOfSbx("sbx", () => {}, dir);
    const { report: r } = doctorVia([], exe);
    expect(r.binary!.replaceable_by_non_root).toEqual([`${dir} is writable by group 0`, `${dir} is world-writable`]);
    expect(finding(r, "binary.writable")?.text).toContain(`${dir} is world-writable`);
  });

  test("a clean copy has none of these warnings", () => {
    const exe = copyOfSbx("clean", () => {});
    const { report: r } = doctorVia([], exe);
    expect(r.binary).toMatchObject({ path: exe, mode: "0755", uid: 0, gid: 0, file_caps: null, replaceable_by_non_root: [] });
    const install = r.findings.filter((f) => f.id.split(".")[0] === "binary" || f.id === "at_secure");
    expect(install.map((f) => [f.id, f.level])).toEqual([["binary", "ok"], ["at_secure", "ok"]]);
  });
});

describe("human output and help", () => {
  test("one line per finding, then the count; exit code follows the findings", () => {
    const r = sbx(["doctor"], { via: capsh("--drop=cap_setpcap") });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail  caps\.bounding_drop +bounding set cannot be cleared here \(PR_CAPBSET_DROP: EPERM, no CAP_SETPCAP\)/m);
    expect(r.stdout).toMatch(/^info  caps\.setpcap +CAP_SETPCAP is not effective/m);
    expect(r.stdout).toMatch(/^1 failure, \d+ warnings?\n$/m);
  });

  test("--help documents the exit codes", () => {
    const r = sbx(["doctor", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exit 0 when every finding is ok or info, 1 when any is warn or fail");
  });
});
