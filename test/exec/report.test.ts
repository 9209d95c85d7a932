// The report's two states against the real kernel, lane by lane: read_back is what verification
// read right before execve; after_execve, the prediction, must be what the workload itself then
// has — in its own /proc/PID/status, and as `sbx caps --json` reads it by system calls when sbx
// caps is the workload — and what --dry-run predicts for the same options (one function makes both).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { AFTER_EXECVE_BASIS, type ExecReport, ExecReportSchema } from "../../src/render/report.ts";
import { CapsReportSchema } from "../../src/state/report.ts";
import { capsh, requireTools } from "../support/privileged.ts";
import { SBX, sbx, statusFields } from "../support/sbx.ts";
import { scratch, ZERO } from "./lane.ts";

requireTools("capsh");

const fresh = scratch("sbx-report-");
const SETS = ["inheritable", "permitted", "effective", "bounding", "ambient"] as const;
const STATUS_KEY = { inheritable: "CapInh", permitted: "CapPrm", effective: "CapEff", bounding: "CapBnd", ambient: "CapAmb" } as const;
const SECCOMP_MODE = { disabled: "0", strict: "1", filter: "2" } as const;
/** The harness's own state: root, with this machine's capabilities. */
const OWN = statusFields(readFileSync("/proc/self/status", "utf8"));
const NBS = "0000000000000400";
const SETPCAP = "0000000000000100";

type After = ExecReport["after_execve"];

function report(file: string): ExecReport {
  return v.parse(ExecReportSchema, JSON.parse(readFileSync(file, "utf8")));
}

/**
 * One lane three ways: the report with the workload's own status (the shell sbx execs reads
 * /proc/$$/status; `; :` keeps dash from exec'ing cat in its place, which would be a second
 * execve), `sbx caps --json` as the workload, and --dry-run.
 */
function lane(args: string[], via: string[] = []) {
  const rep = fresh("report");
  const out = fresh("status");
  const r = sbx(["exec", ...args, "--report", rep, "--", "sh", "-c", `cat /proc/$$/status > ${out}; :`], { via });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const caps = sbx(["exec", ...args, "--", SBX, "caps", "--json"], { via });
  expect(caps.stderr).toBe("");
  expect(caps.code).toBe(0);
  const dry = sbx(["exec", ...args, "--dry-run", "--", "true"], { via });
  expect(dry.code).toBe(0);
  return { report: report(rep), status: statusFields(readFileSync(out, "utf8")), workload: v.parse(CapsReportSchema, JSON.parse(caps.stdout)), dryRun: dry.stdout };
}

/** The prediction as /proc/PID/status words it. */
function asStatus(a: After): Record<string, string> {
  const ids = (x: After["uid"]) => [x.real, x.effective, x.saved, x.fs].join("\t");
  return {
    Uid: ids(a.uid),
    Gid: ids(a.gid),
    Groups: [...a.groups].sort((x, y) => x - y).join(" "),
    ...Object.fromEntries(SETS.map((s) => [STATUS_KEY[s], a.caps[s].hex])),
    NoNewPrivs: a.no_new_privs ? "1" : "0",
    Seccomp: SECCOMP_MODE[a.seccomp.mode],
    Seccomp_filters: String(a.seccomp.filters),
  };
}

/** --dry-run's predicted ids and sets, in the same words. */
function dryRunState(text: string): Record<string, string> {
  const predicted = text.slice(text.indexOf("predicted state after execve"));
  const ids = (what: string) => /real=(\d+) effective=(\d+) saved=(\d+) fs=(\d+)/.exec(new RegExp(`^  ${what}: .*$`, "m").exec(predicted)![0])!.slice(1).join("\t");
  const sets = SETS.map((s) => [STATUS_KEY[s], new RegExp(`^  ${s}:\\s+([0-9a-f]{16})`, "m").exec(predicted)![1]!]);
  return { Uid: ids("uid"), Gid: ids("gid"), ...Object.fromEntries(sets), NoNewPrivs: /^ {2}no_new_privs: (\d)$/m.exec(predicted)![1]! };
}

/** after_execve is what the workload has, by procfs and by system calls, and what --dry-run predicted. */
function expectPredictionHolds(l: ReturnType<typeof lane>): After {
  const a = l.report.after_execve;
  expect(a.basis).toBe(AFTER_EXECVE_BASIS);
  const status = asStatus(a);
  expect(Object.fromEntries(Object.keys(status).map((k) => [k, l.status[k]]))).toEqual(status);
  const { uid, gid, groups, caps, securebits, no_new_privs, seccomp } = l.workload;
  expect({ uid, gid, groups, caps, securebits, no_new_privs }).toEqual({ uid: a.uid, gid: a.gid, groups: a.groups, caps: a.caps, securebits: a.securebits, no_new_privs: a.no_new_privs });
  expect(seccomp.mode).toBe(a.seccomp.mode);
  const { Groups: _g, Seccomp: _s, Seccomp_filters: _f, ...predicted } = status;
  expect(dryRunState(l.dryRun)).toEqual(predicted);
  // read_back names no bounding probe: the only one ran before any change.
  expect(l.report.read_back.kernel).toMatchObject({ bounding_set_droppable: null, bounding_drop_errno: null });
  return a;
}

describe("after_execve is the workload's state; read_back is the state before execve", () => {
  test("--user nobody: no capability either side of execve", () => {
    const l = lane(["--user", "nobody"]);
    const a = expectPredictionHolds(l);
    for (const s of SETS) expect([s, a.caps[s].hex, l.report.read_back.caps[s].hex]).toEqual([s, ZERO, ZERO]);
    expect(l.report.bounding.probe_before_changes).toEqual({ droppable: true, errno: null });
  });

  test("--user root --bounding-set -all: every cap read back before execve, none after", () => {
    const l = lane(["--user", "root", "--bounding-set", "-all"]);
    const a = expectPredictionHolds(l);
    // Root keeps its permitted and effective sets until execve recomputes them from the bounding set.
    expect(l.report.read_back.caps.permitted.hex).toBe(OWN.CapPrm!);
    expect(l.report.read_back.caps.effective.hex).toBe(OWN.CapEff!);
    for (const s of SETS) expect([s, a.caps[s].hex]).toEqual([s, ZERO]);
  });

  test("no --user, bounding set kept but for two caps: root gets exactly that set back at execve", () => {
    const l = lane(["--bounding-set", "-sys_module,-sys_rawio"]);
    const a = expectPredictionHolds(l);
    const kept = (BigInt(`0x${OWN.CapBnd}`) & ~((1n << 16n) | (1n << 17n))).toString(16).padStart(16, "0");
    expect([a.caps.bounding.hex, a.caps.permitted.hex, a.caps.effective.hex]).toEqual([kept, kept, kept]);
    expect(l.report.read_back.caps.permitted.hex).toBe(OWN.CapPrm!);
  });

  test("--user nobody --caps net_bind_service: ambient, so permitted and effective after execve; keep_caps already off before", () => {
    const l = lane(["--user", "nobody", "--caps", "net_bind_service"]);
    const a = expectPredictionHolds(l);
    for (const s of SETS) expect([s, a.caps[s].hex]).toEqual([s, NBS]);
    // sbx sets keep_caps only across setresuid and turns it off with the capset that follows.
    expect(l.report.read_back.securebits!.flags.keep_caps.set).toBe(false);
    expect(l.report.read_back.caps.ambient.hex).toBe(NBS);
  });

  test("--user nobody --securebits +keep_caps: keep_caps read back before execve, cleared by it", () => {
    const l = lane(["--user", "nobody", "--securebits", "+keep_caps"]);
    const a = expectPredictionHolds(l);
    expect(l.report.read_back.securebits!.flags.keep_caps.set).toBe(true);
    expect(a.securebits.flags.keep_caps.set).toBe(false);
    expect(l.workload.securebits!.flags.keep_caps.set).toBe(false);
  });

  test("--user root --securebits +noroot with most of the bounding set kept: root gets nothing at execve", () => {
    const l = lane(["--user", "root", "--securebits", "+noroot", "--bounding-set", "-sys_module"]);
    const a = expectPredictionHolds(l);
    expect(a.securebits.flags.noroot.set).toBe(true);
    expect([a.caps.permitted.hex, a.caps.effective.hex]).toEqual([ZERO, ZERO]);
    expect(a.caps.bounding.hex).not.toBe(ZERO);
    expect(l.report.read_back.caps.permitted.hex).toBe(OWN.CapPrm!);
  });

  test("root under +noroot with --caps setpcap: only its ambient cap survives execve", () => {
    const l = lane(["--securebits", "+noroot", "--caps", "setpcap"]);
    const a = expectPredictionHolds(l);
    expect([a.caps.permitted.hex, a.caps.effective.hex, a.caps.ambient.hex]).toEqual([SETPCAP, SETPCAP, SETPCAP]);
  });

  test("--seccomp default: the filter sbx installs is in both, one more than the caller's", () => {
    const l = lane(["--user", "nobody", "--seccomp", "default"]);
    const a = expectPredictionHolds(l);
    const filters = Number(OWN.Seccomp_filters) + 1;
    expect(a.seccomp).toEqual({ mode: "filter", filters });
    expect(l.report.read_back.seccomp).toEqual({ mode: "filter", filters });
  });

  test("an inert bounding set (no CAP_SETPCAP): kept after execve, and the probe before any change says why", () => {
    const l = lane(["--user", "nobody"], capsh("--drop=cap_setpcap"));
    const a = expectPredictionHolds(l);
    expect(l.report.bounding).toMatchObject({ cleared: false, inert: true, probe_before_changes: { droppable: false, errno: "EPERM" } });
    expect(a.caps.bounding.hex).toBe("000001fffefffeff");
    expect(a.caps.permitted.hex).toBe(ZERO);
  });
});
