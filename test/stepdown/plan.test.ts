// The planner and the verifier's comparison, without privileges: every refusal here is one that
// happens before any change, and the comparison is what makes a half-applied plan fatal.
import { describe, expect, test } from "bun:test";
import { capBit, fullMask, maskOf } from "../../src/caps/mask.ts";
import { parseDegradations } from "../../src/stepdown/degrade.ts";
import { parseExecArgv, splitExecArgs } from "../../src/cli/exec.ts";
import { planStepDown } from "../../src/stepdown/plan.ts";
import { applySecurebitEdits } from "../../src/stepdown/securebitsSpec.ts";
import { compareState, expectedNow } from "../../src/stepdown/verify.ts";
import { UsageError } from "../../src/stepdown/options.ts";
import type { ProcessState } from "../../src/state/types.ts";
import type { ResolvedUser } from "../../src/user/resolve.ts";
import { callerFacts, refusal } from "./support.ts";

const DOCKER_PLUS = 0xa82c25fbn; // Docker's default set + sys_admin + sys_ptrace

function caller(over: Partial<ProcessState> = {}, caps = DOCKER_PLUS): ProcessState {
  const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });
  return {
    pid: 1, source: "syscalls", uid: ids(0), gid: ids(0), groups: [0, 1, 2, 3, 4, 6, 10],
    caps: { inheritable: 0n, permitted: caps, effective: caps, bounding: caps, ambient: 0n },
    securebits: 0, noNewPrivs: false, seccompMode: 0, seccompFilters: 0, ...over,
  };
}

const facts = (state = caller(), droppable = true) => callerFacts(state, droppable);

const app: ResolvedUser = { uid: 1000, gid: 1000, home: "/home/app", name: "app", groups: [1000, 27], groupsRule: "init" };

function plan(args: string[], f = facts(), identity: ResolvedUser | null = app) {
  const options = parseExecArgv([...args, "--", "true"]);
  return planStepDown({ options, facts: f, identity, workload: { command: "true", argv: ["true"], env: [], path: "/bin" }, seccomp: null });
}

describe("plan", () => {
  test("default: everything dropped, in the documented order, predicted all-zero", () => {
    const p = plan(["--user", "app"]);
    expect(p.steps.map((s) => s.step)).toEqual(["preflight", "fds", "signals", "groups", "gid", "bounding", "uid", "caps", "nnp", "verify", "exec"]);
    expect(p.predicted.caps).toEqual({ inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n });
    expect(p.predicted.uid).toEqual({ real: 1000, effective: 1000, saved: 1000, fs: 1000 });
    expect(p.predicted.groups).toEqual([1000, 27]);
    expect(p.predicted.noNewPrivs).toBe(true);
    expect(p.steps.find((s) => s.step === "bounding")!.action).toContain("cap_setpcap last");
  });

  test("--caps keeps a cap in bounding, inheritable and ambient, with keep-caps", () => {
    const p = plan(["--user", "app", "--caps", "net_bind_service"]);
    const nbs = capBit(10);
    expect(p.caps).toEqual({ bounding: nbs, inheritable: nbs, ambient: nbs, permitted: nbs, effective: nbs });
    expect(p.keepCaps).toBe(true);
    expect(p.predicted.caps.ambient).toBe(nbs);
  });

  test("bounding edits in setpriv syntax; caps above our table are covered by -all", () => {
    expect(plan(["--user", "app", "--bounding-set", "-sys_admin,-sys_ptrace"]).caps.bounding).toBe(DOCKER_PLUS & ~maskOf([19, 21]));
    const all = fullMask(45);
    const f = { ...facts(caller({}, all)), lastCap: 45 };
    expect(plan(["--user", "app"], f).caps.bounding).toBe(0n);
  });

  test("a root workload is predicted to get the bounding set back at execve", () => {
    const p = plan(["--bounding-set", "-all,+net_bind_service"], facts(), null);
    expect(p.caps.permitted).toBeNull();
    expect(p.predicted.caps.permitted).toBe(capBit(10));
  });

  test("bounding not droppable: refused before any change, naming CAP_SETPCAP, residual and remedy", () => {
    const r = refusal(() => plan(["--user", "app"], facts(caller(), false)));
    expect(r.step).toBe("bounding");
    expect(r.findingUid).toBe("bounding-set-clear-blocked");
    expect(r.message).toContain("CAP_SETPCAP");
    expect(r.message).toContain("CapBnd=00000000a82c25fb");
    expect(r.message).toContain("cap_sys_admin");
    expect(r.message).toContain("--allow-degraded bounding");
  });

  test("--allow-degraded bounding keeps the residual set, reports it, and needs NNP", () => {
    const p = plan(["--user", "app", "--allow-degraded", "bounding"], facts(caller(), false));
    expect(p.caps.bounding).toBe(DOCKER_PLUS);
    expect(p.degraded.map((d) => d.name)).toEqual(["bounding"]);
    const r = refusal(() => plan(["--user", "app", "--allow-degraded", "bounding", "--allow-new-privs"], facts(caller(), false)));
    expect(r.message).toContain("needs no_new_privs");
  });

  test("bounding already empty: no CAP_SETPCAP needed", () => {
    const ids = maskOf([6, 7]);
    const empty = caller({ caps: { inheritable: 0n, permitted: ids, effective: ids, bounding: 0n, ambient: 0n } });
    const p = plan(["--user", "app"], facts(empty, false));
    expect(p.degraded).toEqual([]);
  });

  test("non-root caller asking for another user: names the missing caps and the uid", () => {
    const me = caller({ uid: { real: 1000, effective: 1000, saved: 1000, fs: 1000 }, gid: { real: 1000, effective: 1000, saved: 1000, fs: 1000 }, groups: [] }, 0n);
    const r = refusal(() => plan(["--user", "nobody"], facts(me), { uid: 65534, gid: 65534, home: "/", groups: [65534], groupsRule: "init" }));
    expect(r.step).toBe("permission");
    expect(r.message).toContain("CAP_SETUID");
    expect(r.message).toContain("CAP_SETGID");
    expect(r.message).toContain("uid 1000");
  });

  test("already the target ids: idempotent; fewer groups than the target is kept without CAP_SETGID", () => {
    const me = caller({ uid: { real: 1000, effective: 1000, saved: 1000, fs: 1000 }, gid: { real: 1000, effective: 1000, saved: 1000, fs: 1000 }, groups: [] }, 0n);
    const p = plan(["--user", "app"], facts(me));
    expect(p.idsAlreadyTarget).toBe(true);
    expect(p.setGroups).toBeNull();
    expect(p.steps.map((s) => s.step)).not.toContain("uid");
  });

  test("root's own groups never survive: they are replaced", () => {
    expect(plan(["--user", "app"]).setGroups).toEqual([1000, 27]);
  });

  test("caps the caller does not have, or that the bounding set removes, are refused", () => {
    expect(refusal(() => plan(["--user", "app", "--caps", "sys_module"])).message).toContain("cap_sys_module");
    expect(refusal(() => plan(["--user", "app", "--ambient-caps", "+net_raw", "--bounding-set", "-all"])).message).toContain("removed from the bounding set");
    expect(refusal(() => plan(["--user", "app", "--caps", "bogus"])).message).toContain('unknown capability "bogus"');
  });
});

describe("a bounding set that cannot be dropped: inert, degraded or refused", () => {
  const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });
  /** docker run --user 1000:1000: the target ids already, no capability in any set, the bounding set full. */
  const asApp = (over: Partial<ProcessState> = {}) =>
    caller({ uid: ids(1000), gid: ids(1000), groups: [], caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: DOCKER_PLUS, ambient: 0n }, ...over });

  test("already the non-root target, no caps held or asked, NNP: inert — kept, not degraded, said in the plan", () => {
    const p = plan(["--user", "app"], facts(asApp(), false));
    expect(p.boundingInert).toContain("inert");
    expect(p.boundingInert).toContain("no CAP_SETPCAP");
    expect(p.degraded).toEqual([]);
    expect(p.caps.bounding).toBe(DOCKER_PLUS);
    expect(p.predicted.caps.bounding).toBe(DOCKER_PLUS);
    expect(p.predicted.caps.permitted).toBe(0n);
    expect(p.steps.find((s) => s.step === "bounding")!.action).toContain("inert, not degraded");
  });

  test("without --user the caller's own non-root ids are the target: inert too, unless they are mixed", () => {
    expect(plan([], facts(asApp(), false), null).boundingInert).not.toBeNull();
    const savedRoot = asApp({ uid: { real: 1000, effective: 1000, saved: 0, fs: 1000 } });
    expect(refusal(() => plan([], facts(savedRoot, false), null)).step).toBe("bounding");
  });

  test("NNP already set by the caller keeps it inert even with --allow-new-privs (lane N)", () => {
    expect(plan(["--user", "app", "--allow-new-privs"], facts(asApp({ noNewPrivs: true }), false)).boundingInert).not.toBeNull();
  });

  test.each([
    ["--allow-new-privs", ["--allow-new-privs"], asApp()],
    ["nnp allowed to degrade", ["--allow-degraded", "nnp"], asApp()],
    ["inheritable caps asked", ["--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw"], asApp()],
    ["a cap still held (ambient)", [], asApp({ caps: { inheritable: capBit(10), permitted: capBit(10), effective: capBit(10), bounding: DOCKER_PLUS, ambient: capBit(10) } })],
  ])("the set matters again (%s): refused, naming CAP_SETPCAP", (_why, args, state) => {
    const r = refusal(() => plan(["--user", "app", ...args], facts(state, false)));
    expect(r.step).toBe("bounding");
    expect(r.message).toContain("CAP_SETPCAP");
  });

  test("--allow-degraded bounding then degrades only with NNP certain", () => {
    const inh = plan(["--user", "app", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw", "--allow-degraded", "bounding"], facts(asApp({ caps: { inheritable: 0n, permitted: capBit(13), effective: 0n, bounding: DOCKER_PLUS, ambient: 0n } }), false));
    expect(inh.boundingInert).toBeNull();
    expect(inh.degraded.map((d) => d.name)).toEqual(["bounding"]);
    expect(inh.steps.find((s) => s.step === "bounding")!.action).toContain("DEGRADED");
    expect(refusal(() => plan(["--user", "app", "--allow-new-privs", "--allow-degraded", "bounding"], facts(asApp(), false))).message).toContain("drop --allow-new-privs");
    expect(refusal(() => plan(["--user", "app", "--allow-degraded", "bounding,nnp"], facts(asApp(), false))).message).toContain("do not also allow nnp to degrade");
  });

  test("root stays refused: a root caller without CAP_SETPCAP (lane a), and a root target even without caps", () => {
    expect(refusal(() => plan([], facts(caller(), false), null)).step).toBe("bounding");
    const bare = caller({ caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: DOCKER_PLUS, ambient: 0n } });
    expect(refusal(() => plan([], facts(bare, false), null)).step).toBe("bounding");
  });
});

describe("capabilities and securebits a process cannot get are refused before any change", () => {
  test("inheritable caps for a non-root target keep caps over setresuid, as ambient ones do", () => {
    const p = plan(["--user", "app", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw"]);
    expect(p.keepCaps).toBe(true);
    expect(p.caps.inheritable).toBe(capBit(13));
    expect(p.caps.permitted).toBe(0n);
  });

  test("inheritable caps the caller does not hold", () => {
    const nbsOnly = caller({ caps: { inheritable: 0n, permitted: capBit(10), effective: capBit(10), bounding: DOCKER_PLUS, ambient: 0n } });
    const r = refusal(() => plan(["--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw"], facts(nbsOnly), null));
    expect(r.step).toBe("caps");
    expect(r.message).toContain("cap_net_raw");
  });

  test("a locked securebit cannot change; keep_caps locked off by the caller blocks requested caps", () => {
    const locked = caller({ securebits: 0x3 });
    const r = refusal(() => plan(["--securebits", "-noroot"], facts(locked), null));
    expect(r.step).toBe("securebits");
    expect(r.message).toContain("noroot is locked");
    expect(refusal(() => plan(["--securebits", "-noroot_locked"], facts(locked), null)).message).toContain("locked");
    expect(plan(["--securebits", "+keep_caps_locked"], facts(locked), null).securebits).toBe(0x23);
    expect(refusal(() => plan(["--user", "app", "--caps", "net_raw"], facts(caller({ securebits: 0x20 })))).message).toContain("keep_caps is locked off");
  });

  test("securebits need CAP_SETPCAP", () => {
    const r = refusal(() => plan(["--securebits", "+noroot"], facts(caller({}, capBit(10))), null));
    expect(r.step).toBe("securebits");
    expect(r.message).toContain("CAP_SETPCAP");
  });
});

describe("options", () => {
  test("everything after -- is the workload, even --help", () => {
    expect(splitExecArgs(["-u", "app", "--", "--help", "-x"])).toEqual({ options: ["--user=app"], argv: ["--help", "-x"] });
    expect(splitExecArgs(["--user=app", "id", "-u"])).toEqual({ options: ["--user=app"], argv: ["id", "-u"] });
    expect(parseExecArgv(["--env", "A=1", "--env", "B=2=3", "--", "x"]).env).toEqual([["A", "1"], ["B", "2=3"]]);
  });

  test.each([
    [["--no-new-privs", "--allow-new-privs"], "contradict"],
    [["--report", "f", "--report-fd", "3"], "choose one"],
    [["--preserve-fds", "3x"], "needs a number"],
    [["--pdeathsig", "BOGUS"], "not a signal"],
    [["--allow-degraded", "bounding,seccomp2"], "valid: bounding, groups, nnp, seccomp"],
    [["--log-format", "xml"], "text or ocsf"],
    [["--env", "=x"], "NAME=VALUE"],
    [["--bogus"], "Unknown option"],
  ])("%j is a usage error", (args, text) => {
    expect(() => parseExecArgv([...args, "--", "true"])).toThrow(text);
  });

  test("a command is required", () => {
    expect(() => parseExecArgv(["-u", "app"])).toThrow(UsageError);
  });

  test("degradation names", () => {
    expect([...parseDegradations("bounding,nnp")]).toEqual(["bounding", "nnp"]);
  });

  test("securebits edits", () => {
    expect(applySecurebitEdits(0, "+noroot,+noroot_locked")).toBe(0x3);
    expect(() => applySecurebitEdits(0, "noroot")).toThrow("needs a + or -");
    expect(() => applySecurebitEdits(0, "+nope")).toThrow("unknown flag");
  });
});

describe("verify comparison", () => {
  const p = plan(["--user", "app"]);
  const want = expectedNow(p, caller(), { groupsSet: true, residualBounding: null, noNewPrivsSet: true });
  const ok = caller({
    uid: want.uid, gid: want.gid, groups: [27, 1000], noNewPrivs: true,
    caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n },
  });

  test("the planned state verifies", () => {
    expect(compareState(want, ok)).toEqual([]);
  });

  test("each difference is named", () => {
    expect(compareState(want, { ...ok, uid: { ...ok.uid, saved: 0 } })[0]).toContain("uid is 1000/1000/0/1000");
    expect(compareState(want, { ...ok, groups: [1000, 27, 0] })[0]).toContain("groups");
    expect(compareState(want, { ...ok, caps: { ...ok.caps, bounding: capBit(21) } })[0]).toContain("bounding set is 0000000000200000 (cap_sys_admin)");
    expect(compareState(want, { ...ok, noNewPrivs: false })[0]).toContain("no_new_privs");
  });
});
