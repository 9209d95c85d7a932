// `sbx caps` against the real kernel: each lane sets up the process state with a real tool
// (capsh, setpriv, unshare), and the truth is that process's own /proc status.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { CapsReportSchema, type CapsReport } from "../../src/state/report.ts";
import { capsh, requireTools } from "../support/privileged.ts";
import { run, SBX, sbx, statusFields } from "../support/sbx.ts";

const tmp = mkdtempSync(join(tmpdir(), "sbx-caps-"));
chmodSync(tmp, 0o1777); // lanes that run as uid 1000 write their status here too
let seq = 0;

/**
 * Run `sbx caps --json` as the last exec of a shell that first saves its own /proc status:
 * same pid, and exec does not change the state being compared (no file caps on sbx).
 */
function capsVia(via: string[]): { report: CapsReport; status: Record<string, string> } {
  const file = join(tmp, `status-${seq++}`);
  const r = run([...via, "sh", "-c", `cat /proc/$$/status > ${file}; exec ${SBX} caps --json`]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { report: v.parse(CapsReportSchema, JSON.parse(r.stdout)), status: statusFields(readFileSync(file, "utf8")) };
}

function expectMatchesStatus(report: CapsReport, st: Record<string, string>) {
  const ids = (x: CapsReport["uid"]) => [x.real, x.effective, x.saved, x.fs].join("\t");
  expect(ids(report.uid)).toBe(st.Uid!);
  expect(ids(report.gid)).toBe(st.Gid!);
  expect(report.groups.join(" ")).toBe(st.Groups!);
  expect(report.caps.inheritable.hex).toBe(st.CapInh!);
  expect(report.caps.permitted.hex).toBe(st.CapPrm!);
  expect(report.caps.effective.hex).toBe(st.CapEff!);
  expect(report.caps.bounding.hex).toBe(st.CapBnd!);
  expect(report.caps.ambient.hex).toBe(st.CapAmb!);
  expect(report.no_new_privs).toBe(st.NoNewPrivs === "1");
  expect(report.seccomp.filters).toBe(Number(st.Seccomp_filters));
}

describe("sbx caps (this process, by system calls)", () => {
  requireTools("capsh", "setpriv", "unshare");

  test("plain root matches /proc", () => {
    const { report, status } = capsVia([]);
    expect(report.source).toBe("syscalls");
    expectMatchesStatus(report, status);
    expect(report.kernel.last_cap).toBe(Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8")));
    expect(report.kernel.bounding_set_droppable).toBe(true);
  });

  test("capsh --drop removes caps from the bounding set and dangerous list", () => {
    const { report, status } = capsVia(capsh("--drop=cap_sys_admin,cap_net_raw"));
    expectMatchesStatus(report, status);
    expect(report.caps.bounding.names).not.toContain("cap_sys_admin");
    expect(report.dangerous_in_bounding).not.toContain("cap_net_raw");
    expect(report.dangerous_in_bounding).toContain("cap_sys_ptrace");
  });

  test("without CAP_SETPCAP the bounding drop is reported as refused (EPERM)", () => {
    const { report, status } = capsVia(capsh("--drop=cap_setpcap"));
    expectMatchesStatus(report, status);
    expect(report.kernel.bounding_set_droppable).toBe(false);
    expect(report.kernel.bounding_drop_errno).toBe("EPERM");
  });

  test("setpriv: empty bounding set, groups, no_new_privs", () => {
    const { report, status } = capsVia(["setpriv", "--bounding-set=-all", "--groups=4,27", "--nnp", "--"]);
    expectMatchesStatus(report, status);
    expect(report.caps.bounding.hex).toBe("0000000000000000");
    expect(report.groups).toEqual([4, 27]);
    expect(report.no_new_privs).toBe(true);
    expect(report.dangerous_in_bounding).toEqual([]);
  });

  test("non-root ids: real, effective, saved and fs", () => {
    const { report, status } = capsVia(["setpriv", "--reuid=1000", "--regid=1001", "--clear-groups", "--"]);
    expectMatchesStatus(report, status);
    expect(report.uid.effective).toBe(1000);
    expect(report.gid.real).toBe(1001);
    expect(report.caps.effective.hex).toBe("0000000000000000");
  });

  test("inheritable and ambient caps", () => {
    const { report, status } = capsVia(capsh("--inh=cap_net_raw,cap_net_bind_service", "--addamb=cap_net_raw"));
    expectMatchesStatus(report, status);
    expect(report.caps.ambient.names).toEqual(["cap_net_raw"]);
    expect(report.caps.inheritable.names).toEqual(["cap_net_bind_service", "cap_net_raw"]);
  });

  test("securebits with lock bits", () => {
    const { report } = capsVia(capsh("--secbits=0x2f"));
    expect(report.securebits?.value).toBe(0x2f);
    expect(report.securebits?.flags.noroot).toEqual({ set: true, locked: true });
    expect(report.securebits?.flags.keep_caps).toEqual({ set: false, locked: true });
  });

  test("in a user namespace (unshare -r)", () => {
    const { report, status } = capsVia(["unshare", "-r", "--"]);
    expectMatchesStatus(report, status);
    expect(report.uid.effective).toBe(0);
  });

  test("the kernel's last cap comes from system calls, not procfs", () => {
    const r = run(["unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs none /proc/sys/kernel && exec ${SBX} caps --json`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).kernel.last_cap).toBe(Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8")));
  });
});

describe("sbx caps --pid", () => {
  test("reads another process and agrees with its status and capsh --decode", () => {
    const child = Bun.spawn(["setpriv", "--bounding-set=-sys_admin,-net_raw", "--inh-caps=+net_raw", "sleep", "30"]);
    try {
      Bun.sleepSync(100);
      const r = sbx(["caps", "--pid", String(child.pid), "--json"]);
      expect(r.code).toBe(0);
      const report = v.parse(CapsReportSchema, JSON.parse(r.stdout));
      const st = statusFields(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      expect(report.source).toBe("procfs");
      expectMatchesStatus(report, st);
      expect(report.securebits).toBeNull();
      expect(report.kernel.bounding_set_droppable).toBeNull();
      const decoded = run(["capsh", `--decode=${st.CapBnd}`]).stdout.trim().split("=")[1]!.split(",");
      expect(report.caps.bounding.names).toEqual(decoded);
    } finally {
      child.kill(9);
    }
  });

  test("a pid that does not exist is named, exit 3", () => {
    const r = sbx(["caps", "--pid", "999999999"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("sbx: cannot read /proc/999999999/status: ENOENT (no such process, or procfs not mounted)\n");
  });

  test("a pid that is not a number is a usage error", () => {
    const r = sbx(["caps", "--pid", "self"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pid: "self" is not a process id');
  });
});

describe("sbx caps --decode", () => {
  test("equals capsh --decode for random masks up to 64 bits", () => {
    const masks = ["0", "1ffffffffff", "a82c25fb", "30000000001", "8000000000000000", "ffffffffffffffff"];
    for (let i = 0; i < 20; i++) {
      const bits = 1 + Math.floor(Math.random() * 64);
      masks.push((BigInt(Math.floor(Math.random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(Math.random() * 2 ** 32)) & ((1n << BigInt(bits)) - 1n)).toString(16));
    }
    for (const m of masks) {
      expect(sbx(["caps", "--decode", `0x${m}`]).stdout).toBe(run(["capsh", `--decode=0x${m}`]).stdout);
    }
  });

  test("rejects what is not a mask", () => {
    const r = sbx(["caps", "--decode", "0xzz"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"0xzz" is not a hex mask');
  });

  test.each([
    [["--json"], "json"],
    [["--absent", "bogus"], "absent"],
    [["--empty", "all"], "empty"],
    [["--pid", "1"], "pid"],
    [["--compare", "/nonexistent"], "compare"],
  ])("beside %p it is refused (2), never printed as if the other were checked", (other, name) => {
    for (const args of [["caps", "--decode", "0x1", ...other], ["caps", ...other, "--decode", "0x1"]]) {
      const r = sbx(args);
      expect(r).toEqual({ code: 2, stdout: "", stderr: `sbx: --decode prints a mask and cannot be combined with --${name}\n` });
    }
  });
});

describe("assertions", () => {
  test("--absent passes silently when the caps are gone", () => {
    const r = sbx(["caps", "--absent", "sys_admin,net_raw"], { via: capsh("--drop=cap_sys_admin,cap_net_raw") });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("--absent names each cap still present, exit 1", () => {
    const r = sbx(["caps", "--absent", "cap_sys_admin,net_raw,CAP_SYS_PTRACE"], { via: capsh("--drop=cap_net_raw") });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "sbx caps: cap_sys_ptrace is present in: permitted, effective, bounding\n" +
        "sbx caps: cap_sys_admin is present in: permitted, effective, bounding\n",
    );
  });

  test("--empty over the five sets", () => {
    const ok = sbx(["caps", "--empty", "all"], { via: ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--bounding-set=-all", "--inh-caps=-all", "--"] });
    expect(ok).toEqual({ code: 0, stdout: "", stderr: "" });
    const bad = sbx(["caps", "--empty", "bounding,ambient"], { via: ["setpriv", "--bounding-set=-all,+net_raw", "--"] });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("sbx caps: bounding set is not empty: 0000000000002000 (cap_net_raw)\n");
  });

  test("bad names are usage errors", () => {
    expect(sbx(["caps", "--absent", "sys_admn"]).stderr).toBe('sbx: unknown capability "sys_admn"\n');
    expect(sbx(["caps", "--absent", "sys_admn"]).code).toBe(2);
    expect(sbx(["caps", "--empty", "bnd"]).code).toBe(2);
  });

  // An unset variable ("$UNSET") or a stray space must not turn an assertion into a pass.
  test.each([
    [["--absent", ""], 'sbx: --absent: no capability named in ""'],
    [["--absent", " "], 'sbx: --absent: no capability named in " "'],
    [["--absent", "net_raw,"], 'sbx: empty item in capability list "net_raw,"'],
    [["--empty", ""], 'sbx: empty item in capability set list ""'],
    [["--empty", " "], 'sbx: empty item in capability set list " "'],
    [["--empty", "all,bogus"], 'sbx: unknown capability set "bogus" (valid: inheritable, permitted, effective, bounding, ambient, all)'],
    [["--empty", "bogus,all"], 'sbx: unknown capability set "bogus" (valid: inheritable, permitted, effective, bounding, ambient, all)'],
  ])("%p is a usage error (2) that names the problem", (args, line) => {
    expect(sbx(["caps", ...args])).toEqual({ code: 2, stdout: "", stderr: `${line}\n` });
  });

  test("--json still prints the document when asserting", () => {
    const r = sbx(["caps", "--json", "--empty", "ambient"]);
    expect(r.code).toBe(0);
    expect(v.parse(CapsReportSchema, JSON.parse(r.stdout)).caps.ambient.hex).toBe("0000000000000000");
  });
});

describe("human output", () => {
  test("names the sets like capsh --print", () => {
    const r = sbx(["caps"], { via: ["setpriv", "--bounding-set=-all,+net_bind_service", "--"] });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Bounding:    0000000000000400 = cap_net_bind_service\n");
    expect(r.stdout).toContain("Dangerous caps in bounding set: cap_net_bind_service\n");
    expect(r.stdout).toMatch(/^uid: real=0 effective=0 saved=0 fs=0$/m);
  });
});

describe("OCI-shaped capabilities: oci_capabilities in --json, --compare config.json", () => {
  const config = (name: string, doc: unknown) => {
    const f = join(tmp, `${name}-${seq++}.json`);
    Bun.write(f, JSON.stringify(doc));
    return f;
  };
  const names = (r: CapsReport, set: keyof CapsReport["caps"]) => r.caps[set].names.map((n) => n.toUpperCase());

  test("the five sets as arrays of CAP_* names, the same caps as the hex sets", () => {
    const { report } = capsVia(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--inh-caps=+chown,+kill", "--ambient-caps=+chown,+kill", "--bounding-set=-sys_admin", "--"]);
    for (const set of ["bounding", "effective", "inheritable", "permitted", "ambient"] as const) expect(report.oci_capabilities[set]).toEqual(names(report, set));
    expect(report.oci_capabilities.ambient).toEqual(["CAP_CHOWN", "CAP_KILL"]);
    expect(report.oci_capabilities.bounding).not.toContain("CAP_SYS_ADMIN");
  });

  test("a config equal to the state: exit 0, nothing printed; the bare object works too", () => {
    const via = ["setpriv", "--inh-caps=-all", "--bounding-set=-all,+kill,+net_bind_service", "--"];
    const { report } = capsVia(via);
    const full = config("equal", { ociVersion: "1.0.2", process: { capabilities: report.oci_capabilities } });
    expect(sbx(["caps", "--compare", full], { via })).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(sbx(["caps", "--compare", config("bare", report.oci_capabilities)], { via }).code).toBe(0);
  });

  test("runc spec's own config.json against a workload stepped down by sbx to the same bounding set: each difference named, exit 1", () => {
    const dir = join(tmp, `runc-${seq++}`);
    run(["mkdir", dir]);
    expect(run(["runc", "spec"], { cwd: dir }).code).toBe(0);
    const r = sbx(["exec", "--bounding-set", "-all,+kill,+net_bind_service,+audit_write", "--", SBX, "caps", "--compare", join(dir, "config.json")]);
    expect(r.code).toBe(1);
    // runc spec asks for ambient caps it does not make inheritable; the kernel cannot hold those (runc warns).
    expect(r.stderr).toBe(`sbx caps: ambient: missing CAP_KILL,CAP_NET_BIND_SERVICE,CAP_AUDIT_WRITE (in ${join(dir, "config.json")}, not here)\n`);
  });

  test("extra and missing caps per set", () => {
    const f = config("diff", { process: { capabilities: { bounding: ["CAP_KILL"], effective: [], permitted: ["CAP_SYS_ADMIN"] } } });
    const r = sbx(["caps", "--compare", f], { via: ["setpriv", "--inh-caps=-all", "--bounding-set=-all,+kill,+chown", "--"] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bounding: extra CAP_CHOWN (here, not in ${f})\n`);
    expect(r.stderr).toContain(`permitted: missing CAP_SYS_ADMIN (in ${f}, not here); extra CAP_CHOWN`);
  });

  test.each([
    ["not JSON", "{", "is not JSON"],
    ["an unknown cap", JSON.stringify({ process: { capabilities: { bounding: ["CAP_FLY"] } } }), '.process.capabilities.bounding[0]: unknown capability "CAP_FLY"'],
    ["an unknown set", JSON.stringify({ effectiv: [] }), 'unknown capability set "effectiv"'],
    ["no capabilities", JSON.stringify({ process: { user: {} } }), "no process.capabilities object"],
  ])("bad input (%s) is exit 2", (_what, text, message) => {
    const f = join(tmp, `bad-${seq++}.json`);
    Bun.write(f, text);
    const r = sbx(["caps", "--compare", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test("a file that cannot be read is exit 2; with --pid of no process, 3", () => {
    expect(sbx(["caps", "--compare", join(tmp, "absent.json")]).code).toBe(2);
    expect(sbx(["caps", "--compare", config("ok", { bounding: [] }), "--pid", "999999999"]).code).toBe(3);
  });
});
