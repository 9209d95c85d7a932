// `sbx exec --umask` and `--rlimit` (gosu mode: SBX_UMASK, SBX_RLIMIT_<NAME>) on the real kernel,
// read from the workload itself (its shell's umask and ulimit, its /proc/self/status and limits).
// This VM's root lacks CAP_SYS_RESOURCE: raising a hard limit is refused here, and the lane that
// drops it with capsh refuses it on any machine.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ExecReportSchema } from "../../src/render/report.ts";
import { capsh, requireTools } from "../support/privileged.ts";
import { run, SBX, sbx, statusFields } from "../support/sbx.ts";
import { scratch } from "./lane.ts";

requireTools("capsh");

const fresh = scratch("sbx-limits-");
const SHOW = 'umask; ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc; grep Umask /proc/self/status';
const hardNofile = Number(run(["sh", "-c", "ulimit -Hn"]).stdout.trim());
const hasSysResource = (BigInt(`0x${statusFields(readFileSync("/proc/self/status", "utf8")).CapEff}`) >> 24n) & 1n;

describe("--umask and --rlimit, set late and read back", () => {
  test("the workload has the umask and the limits; the report has what prlimit(2) read back", () => {
    const report = fresh("report");
    const r = sbx(["exec", "--user", "nobody", "--umask", "027", "--rlimit", "nofile=256:512", "--rlimit", "RLIMIT_CORE=0", "--report", report, "--", "sh", "-c", SHOW]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0027\n256\n512\n0\n0\nUmask:\t0027\n");
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.umask).toBe("0027");
    expect(rep.rlimits).toEqual([{ type: "RLIMIT_NOFILE", soft: 256, hard: 512 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }]);
    const asked = rep.asked as Record<string, unknown>;
    expect(asked.rlimits).toEqual(["nofile=256:512", "RLIMIT_CORE=0"]);
    expect(asked.umask).toBe("0027");
    expect(rep.applied.map((a) => a.step)).toEqual(expect.arrayContaining(["rlimits", "umask"]));
  });

  test("unlimited, and a soft limit raised up to the hard one, need no privilege", () => {
    const r = sbx(["exec", "--user", "nobody", "--rlimit", `nofile=${hardNofile}`, "--rlimit", "core=0:unlimited", "--", "sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Hc"], { via: capsh("--drop=cap_sys_resource") });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${hardNofile}\n${hardNofile}\nunlimited\n`);
  });

  test("raising a hard limit without CAP_SYS_RESOURCE is refused before any change, naming the limit and what can be asked", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--rlimit", `nofile=${hardNofile + 1}`, "--", "touch", m], { via: capsh("--drop=cap_sys_resource") });
    expect(r.code).toBe(220);
    expect(r.stderr).toBe(
      `sbx exec: rlimits: --rlimit "nofile=${hardNofile + 1}": raising the hard limit of RLIMIT_NOFILE from ${hardNofile} to ${hardNofile + 1} needs CAP_SYS_RESOURCE, which this process does not have in its effective set (container runtimes often drop it); ask for a hard limit of at most ${hardNofile}\n`,
    );
    expect(existsSync(m)).toBe(false);
  });

  test(`this machine's root ${hasSysResource ? "has" : "lacks"} CAP_SYS_RESOURCE: a hard limit above the current one is ${hasSysResource ? "raised" : "refused"}`, () => {
    const r = sbx(["exec", "--user", "nobody", "--rlimit", `nofile=${hardNofile + 1}`, "--", "sh", "-c", "ulimit -Hn"]);
    if (hasSysResource) expect([r.code, r.stdout]).toEqual([0, `${hardNofile + 1}\n`]);
    else expect([r.code, r.stdout, r.stderr]).toEqual([220, "", expect.stringContaining("needs CAP_SYS_RESOURCE")]);
  });

  test("nofile above fs.nr_open is refused: the kernel takes no more, whatever the capabilities", () => {
    const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));
    const r = sbx(["exec", "--user", "nobody", "--rlimit", `nofile=${nrOpen + 1}`, "--", "true"]);
    expect(r.code).toBe(220);
    expect(r.stderr).toContain(`the kernel takes at most ${nrOpen} open files (fs.nr_open)`);
  });

  test("--dry-run shows both steps and the predicted values", () => {
    const r = sbx(["exec", "--user", "nobody", "--dry-run", "--umask", "0077", "--rlimit", "core=unlimited", "--", "true"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("rlimits    prlimit RLIMIT_CORE=unlimited:unlimited (soft:hard), then read each back");
    expect(r.stdout).toContain("umask      umask(0077), then read back (umask, /proc/thread-self/status)");
    expect(r.stdout).toContain("  umask: 0077\n  rlimits: RLIMIT_CORE=unlimited:unlimited\n");
  });

  test("bad values are usage errors", () => {
    expect(sbx(["exec", "--umask", "0999", "--", "true"]).stderr).toBe('sbx exec: usage: --umask needs an octal mask from 0 to 0777 (e.g. 0022), not "0999"\n');
    expect(sbx(["exec", "--rlimit", "nofiles=1", "--", "true"]).code).toBe(200);
  });
});

describe("gosu mode: SBX_UMASK and SBX_RLIMIT_<NAME>", () => {
  const dir = fresh("bin");
  mkdirSync(dir);
  const gosu = join(dir, "gosu");
  symlinkSync(SBX, gosu);

  test("the variables set the workload's umask and limits, and do not reach it", () => {
    const r = run([gosu, "nobody", "sh", "-c", `${SHOW}; env | grep ^SBX_ || :`], { env: { PATH: "/usr/bin:/bin", SBX_UMASK: "077", SBX_RLIMIT_NOFILE: "128:256", SBX_RLIMIT_CORE: "0" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0077\n128\n256\n0\n0\nUmask:\t0077\n");
  });

  test("a bad one is gosu's exit 1, naming the variable", () => {
    const r = run([gosu, "nobody", "true"], { env: { PATH: "/usr/bin:/bin", SBX_RLIMIT_NOFILE: "lots" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: SBX_RLIMIT_<NAME> "NOFILE=lots": "lots" is not a limit (a number below 2^64-1, or unlimited)\n');
  });
});
