import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { exitCodeOf, findingsOf } from "../../src/doctor/findings.ts";
import { formatReport, toReport } from "../../src/doctor/report.ts";
import { DoctorReportSchema, type DoctorFacts, type Finding } from "../../src/doctor/schema.ts";

const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });

/** A healthy root process on a current kernel; each test changes what it is about. */
function healthy(): DoctorFacts {
  return {
    caller: { uid: ids(0), gid: ids(0) },
    kernel: { release: "6.18.0", last_cap: 40, proc_last_cap: 40, last_cap_agrees: true },
    caps: {
      effective: "000001ffffffffff",
      bounding: "000001ffffffffff",
      setpcap_effective: true,
      bounding_drop: { droppable: true, errno: null },
      setuid_effective: true,
      setgid_effective: true,
      switch: { setgroups: null, setresgid: null, setresuid: null },
    },
    no_new_privs: false,
    seccomp: { mode: "disabled", filters: 0, filter_available: true, errno: null, actions_avail: ["kill_process", "errno", "allow"] },
    landlock: { abi: 7, errno: null },
    userns: { uid_map: [{ inside: 0, outside: 0, count: 4294967295 }], in_user_namespace: false, setgroups: "allow" },
    lsm: { active: ["capability", "landlock"], label: null, apparmor_label: null },
    tty: { legacy_tiocsti: 0, process_group_leader: false },
    binary: {
      path: "/usr/local/bin/sbx", mode: "0755", uid: 0, gid: 0, setuid: false, setgid: false,
      file_caps: null, file_caps_errno: null, replaceable_by_non_root: [],
    },
    at_secure: false,
  };
}

function byId(facts: DoctorFacts): Map<string, Finding> {
  return new Map(findingsOf(facts).map((x) => [x.id, x]));
}

const level = (facts: DoctorFacts, id: string) => byId(facts).get(id)?.level;
const text = (facts: DoctorFacts, id: string) => byId(facts).get(id)?.text ?? "";

describe("classification", () => {
  test("a healthy root process: everything ok, exit 0", () => {
    const all = findingsOf(healthy());
    expect(all.filter((x) => x.level !== "ok")).toEqual([]);
    expect(exitCodeOf(all)).toBe(0);
    expect(new Set(all.map((x) => x.id)).size).toBe(all.length);
  });

  test("no CAP_SETPCAP: the bounding set cannot be cleared, sbx exec refuses", () => {
    const x = healthy();
    x.caps.setpcap_effective = false;
    x.caps.bounding_drop = { droppable: false, errno: "EPERM" };
    expect(level(x, "caps.setpcap")).toBe("info");
    expect(level(x, "caps.bounding_drop")).toBe("fail");
    expect(text(x, "caps.bounding_drop")).toBe(
      "bounding set cannot be cleared here (PR_CAPBSET_DROP: EPERM, no CAP_SETPCAP); sbx exec keeps it, as inert and not degraded, for a non-root target under no_new_privs (e.g. --user app), and refuses (209) for a root target unless --allow-degraded bounding",
    );
    expect(exitCodeOf(findingsOf(x))).toBe(1);
  });

  test("already a non-root caller (docker run --user 1000:1000): the kept set is inert, info, exit 0 — as sbx exec runs", () => {
    const x = healthy();
    x.caller = { uid: ids(1000), gid: ids(1000) };
    x.caps = { ...x.caps, effective: "0000000000000000", setpcap_effective: false, setuid_effective: false, setgid_effective: false, bounding_drop: { droppable: false, errno: "EPERM" }, switch: { setgroups: "EPERM", setresgid: null, setresuid: null } };
    expect(level(x, "caps.bounding_drop")).toBe("info");
    expect(text(x, "caps.bounding_drop")).toContain("this process runs as uid 1000, not root, so sbx exec keeps it as inert, not degraded");
    expect(level(x, "caps.switch")).toBe("info");
    expect(exitCodeOf(findingsOf(x))).toBe(0);
  });

  test("root without CAP_SETUID/CAP_SETGID, or with the identity calls refused: sbx exec --user fails, and doctor says so", () => {
    const x = healthy();
    x.caps.setuid_effective = false;
    expect(level(x, "caps.switch")).toBe("fail");
    expect(text(x, "caps.switch")).toContain("CAP_SETUID not effective: sbx exec --user for another user is refused (202)");
    const y = healthy();
    y.caps.switch = { setgroups: null, setresgid: null, setresuid: "EPERM" };
    expect(level(y, "caps.switch")).toBe("fail");
    expect(text(y, "caps.switch")).toContain("setresuid: EPERM; asked so as to change nothing): an outer seccomp filter or an LSM denies them, so sbx exec --user fails (211)");
  });

  test("no seccomp filters: info (plain sbx exec runs), naming what --seccomp does", () => {
    const x = healthy();
    x.seccomp = { ...x.seccomp, filter_available: false, errno: "ENOSYS" };
    expect(level(x, "seccomp")).toBe("info");
    expect(text(x, "seccomp")).toContain("plain sbx exec runs, sbx exec --seccomp refuses (216) unless --allow-degraded seccomp");
  });

  test("TIOCSTI: --new-session is advised only where setsid can work", () => {
    const x = healthy();
    x.tty = { legacy_tiocsti: 1, process_group_leader: true };
    expect(text(x, "tty.legacy_tiocsti")).toContain("--new-session cannot work here, this process leads its process group");
    x.tty.process_group_leader = false;
    expect(text(x, "tty.legacy_tiocsti")).toContain("or with sbx exec --new-session where sbx does not lead its process group");
  });

  test("CAP_SETPCAP present but the drop refused: an LSM or seccomp is named", () => {
    const x = healthy();
    x.caps.bounding_drop = { droppable: false, errno: "EPERM" };
    expect(level(x, "caps.bounding_drop")).toBe("fail");
    expect(text(x, "caps.bounding_drop")).toContain("although CAP_SETPCAP is effective: an LSM (AppArmor/SELinux) or a seccomp filter denies it");
  });

  test("an already empty bounding set needs no drop", () => {
    const x = healthy();
    x.caps = { ...x.caps, effective: "0000000000000000", bounding: "0000000000000000", setpcap_effective: false, bounding_drop: { droppable: false, errno: "EPERM" } };
    expect(level(x, "caps.bounding_drop")).toBe("ok");
  });

  test("last cap: disagreement warns, unreadable procfs and caps newer than the table inform", () => {
    const x = healthy();
    x.kernel = { release: "6.18.0", last_cap: 40, proc_last_cap: 37, last_cap_agrees: false };
    expect(level(x, "kernel.last_cap")).toBe("warn");
    x.kernel = { release: "6.18.0", last_cap: 40, proc_last_cap: null, last_cap_agrees: null };
    expect(level(x, "kernel.last_cap")).toBe("info");
    x.kernel = { release: "7.9.0", last_cap: 42, proc_last_cap: 42, last_cap_agrees: true };
    expect(text(x, "kernel.last_cap")).toContain("caps 41..42 are newer than sbx's table: sbx exec clears them as cap_N");
  });

  test("no_new_privs already set is information", () => {
    const x = healthy();
    x.no_new_privs = true;
    expect(level(x, "nnp")).toBe("info");
  });

  test("seccomp: unavailable informs (only --seccomp needs it), an outer filter informs", () => {
    const x = healthy();
    x.seccomp = { ...x.seccomp, filter_available: false, errno: "EINVAL" };
    expect(level(x, "seccomp")).toBe("info");
    expect(text(x, "seccomp")).toContain("--allow-degraded seccomp");
    x.seccomp = { ...healthy().seccomp, mode: "filter", filters: 1 };
    expect(level(x, "seccomp")).toBe("info");
    expect(text(x, "seccomp")).toContain("already under 1 seccomp filter(s)");
  });

  test("landlock: ENOSYS and EOPNOTSUPP are told apart", () => {
    const x = healthy();
    x.landlock = { abi: null, errno: "ENOSYS" };
    expect(text(x, "landlock")).toContain("ENOSYS: the kernel has no Landlock");
    x.landlock = { abi: null, errno: "EOPNOTSUPP" };
    expect(text(x, "landlock")).toContain("disabled at boot");
    expect(level(x, "landlock")).toBe("info");
  });

  test("user namespace with setgroups denied", () => {
    const x = healthy();
    x.userns = { uid_map: [{ inside: 0, outside: 0, count: 1 }], in_user_namespace: true, setgroups: "deny" };
    expect(level(x, "userns")).toBe("info");
    expect(text(x, "userns")).toContain("uid_map: 0 0 1");
    expect(level(x, "userns.setgroups")).toBe("fail");
    expect(level(healthy(), "userns.setgroups")).toBeUndefined();
  });

  test("LSM labels: unconfined is ok, a profile informs", () => {
    const x = healthy();
    x.lsm = { active: ["apparmor"], label: "unconfined", apparmor_label: "unconfined" };
    expect(level(x, "lsm")).toBe("ok");
    x.lsm = { active: null, label: "docker-default (enforce)", apparmor_label: "docker-default (enforce)" };
    expect(level(x, "lsm")).toBe("info");
    expect(text(x, "lsm")).toContain('"docker-default (enforce)"');
    expect(text(x, "lsm")).toContain("active LSMs: unknown");
  });

  test("legacy_tiocsti 1 or unknown is information, 0 is ok", () => {
    const x = healthy();
    x.tty.legacy_tiocsti = 1;
    expect(level(x, "tty.legacy_tiocsti")).toBe("info");
    x.tty.legacy_tiocsti = null;
    expect(level(x, "tty.legacy_tiocsti")).toBe("info");
  });

  test("every unsafe installation is its own warning, and the all-clear goes away", () => {
    const x = healthy();
    x.binary = {
      ...x.binary!, mode: "6755", setuid: true, setgid: true, file_caps: "cap_setuid=ep",
      replaceable_by_non_root: ["/usr/local/bin/sbx is owned by uid 1000"],
    };
    x.at_secure = true;
    const warned = findingsOf(x).filter((f) => f.level === "warn").map((f) => f.id);
    expect(warned).toEqual(["binary.setuid", "binary.setgid", "binary.file_caps", "binary.writable", "at_secure"]);
    expect(byId(x).has("binary")).toBe(false);
    expect(exitCodeOf(findingsOf(x))).toBe(1);
  });

  test("an unreadable xattr or /proc/self/exe is a warning: the install is unchecked", () => {
    const x = healthy();
    x.binary = { ...x.binary!, file_caps_errno: "EACCES" };
    expect(text(x, "binary.file_caps")).toContain("(EACCES)");
    x.binary = null;
    expect(level(x, "binary")).toBe("warn");
  });
});

describe("report", () => {
  test("the document validates against its schema and the human form counts problems", () => {
    const x = healthy();
    x.caps.bounding_drop = { droppable: false, errno: "EPERM" };
    const r = toReport(x);
    expect(v.parse(DoctorReportSchema, JSON.parse(JSON.stringify(r)))).toEqual(r);
    const human = formatReport(r);
    expect(human).toMatch(/^fail  caps\.bounding_drop +PR_CAPBSET_DROP is refused \(EPERM\)/m);
    expect(human.endsWith("1 failure, 0 warnings\n")).toBe(true);
  });
});
