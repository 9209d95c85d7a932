// The planner and the verifier's comparison, without privileges: every refusal here is one that
// happens before any change, and the operations it returns are exactly what the runner executes.
import { describe, expect, test } from "bun:test";
import { capBit, fullMask, maskOf } from "../../src/caps/mask.ts";
import { applySecurebitEdits } from "../../src/caps/securebits.ts";
import { parseExecWords } from "../../src/cli/exec.ts";
import { describeOp } from "../../src/render/dryRun.ts";
import { UsageError } from "../../src/options/option.ts";
import { compareState } from "../../src/stepdown/expect.ts";
import type { ProcessState } from "../../src/state/types.ts";
import { app, caller, callerFacts, kinds, opOf, planOf as plan, refusal } from "./support.ts";

const DOCKER_PLUS = 0xa82c25fbn; // Docker's default set + sys_admin + sys_ptrace
const facts = (state = caller(), droppable = true) => callerFacts(state, droppable);
const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });

describe("plan", () => {
  test("default: the operations in order, CAP_SETPCAP dropped last, predicted all-zero", () => {
    const p = plan(["--user", "app"]);
    expect(kinds(p)).toEqual(["fds", "setgroups", "setresgid", "capbsetDrop", "setresuid", "caps", "nnp", "verify", "lookup", "resetSignals", "execve"]);
    expect(opOf(p, "capbsetDrop")!.caps.at(-1)).toBe(8);
    expect(opOf(p, "capbsetDrop")!.caps).toHaveLength(16);
    expect(describeOp(opOf(p, "capbsetDrop")!, p)).toContain("cap_setpcap last");
    expect(p.predicted.caps).toEqual({ inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n });
    expect(p.predicted.uid).toEqual(ids(1000));
    expect(p.predicted.groups).toEqual([1000, 27]);
    expect(p.predicted.noNewPrivs).toBe(true);
  });

  test("a report is built before the filter and written after it; signals are reset after the last write", () => {
    const p = plan(["--user", "app", "--report", "r.json"], facts(), app, { fds: { status: 9, report: { fd: 12, to: '"r.json"', restoreFlags: null } } });
    expect(kinds(p).slice(-5)).toEqual(["lookup", "renderReport", "writeReport", "resetSignals", "execve"]);
  });

  test("--caps keeps a cap in bounding, inheritable and ambient, with keep-caps", () => {
    const p = plan(["--user", "app", "--caps", "net_bind_service"]);
    const nbs = capBit(10);
    expect(opOf(p, "capbsetDrop")!.result).toBe(nbs);
    expect(opOf(p, "caps")).toMatchObject({ permitted: nbs, effective: nbs, inheritable: nbs, ambient: [10], clearKeepCaps: true });
    expect(kinds(p)).toContain("keepCaps");
    expect(kinds(p).indexOf("keepCaps")).toBeLessThan(kinds(p).indexOf("setresuid"));
    expect(p.predicted.caps.ambient).toBe(nbs);
  });

  test("bounding edits in setpriv syntax; caps above our table are covered by -all", () => {
    expect(opOf(plan(["--user", "app", "--bounding-set", "-sys_admin,-sys_ptrace"]), "capbsetDrop")!.result).toBe(DOCKER_PLUS & ~maskOf([19, 21]));
    const all = fullMask(45);
    const f = { ...facts(caller({}, all)), lastCap: 45 };
    expect(opOf(plan(["--user", "app"], f), "capbsetDrop")!.caps).toHaveLength(46);
  });

  test("a root workload is predicted to get the bounding set back at execve; no regain probe for uid 0", () => {
    const p = plan(["--bounding-set", "-all,+net_bind_service"], facts(), null);
    expect(opOf(p, "caps")!.permitted).toBeNull();
    expect(p.predicted.caps.permitted).toBe(capBit(10));
    expect(opOf(p, "verify")!.expected.regain).toEqual({ uid: false, gid: false });
  });

  test("uid 0 with another group (gosu 0:1000) is a legal target: no regain probe", () => {
    const root1000 = { ...app, uid: 0, gid: 1000, groups: [1000] };
    expect(opOf(plan(["--user", "0:1000"], facts(), root1000), "verify")!.expected.regain).toEqual({ uid: false, gid: false });
    const user0 = { ...app, uid: 1000, gid: 0, groups: [0] };
    expect(opOf(plan(["--user", "1000:0"], facts(), user0), "verify")!.expected.regain).toEqual({ uid: true, gid: false });
    expect(opOf(plan(["--user", "app"]), "verify")!.expected.regain).toEqual({ uid: true, gid: true });
  });

  test("bounding not droppable for a root target: refused before any change, naming CAP_SETPCAP, residual and remedy", () => {
    const r = refusal(() => plan([], facts(caller(), false), null));
    expect(r.step).toBe("bounding");
    expect(r.findingUid).toBe("bounding-set-clear-blocked");
    expect(r.message).toContain("CAP_SETPCAP");
    expect(r.message).toContain("CapBnd=00000000a82c25fb");
    expect(r.message).toContain("cap_sys_admin");
    expect(r.message).toContain("--allow-degraded bounding");
  });

  test("--allow-degraded bounding keeps the residual set, reports it, and needs NNP", () => {
    const p = plan(["--allow-degraded", "bounding"], facts(caller(), false), null);
    expect(kinds(p)).not.toContain("capbsetDrop");
    expect(p.predicted.caps.bounding).toBe(DOCKER_PLUS);
    expect(p.degraded.map((d) => d.name)).toEqual(["bounding"]);
    const r = refusal(() => plan(["--allow-degraded", "bounding", "--allow-new-privs"], facts(caller(), false), null));
    expect(r.message).toContain("needs no_new_privs");
  });

  test("bounding already empty: no CAP_SETPCAP needed", () => {
    const setids = maskOf([6, 7]);
    const empty = caller({ caps: { inheritable: 0n, permitted: setids, effective: setids, bounding: 0n, ambient: 0n } });
    const p = plan(["--user", "app"], facts(empty, false));
    expect(p.degraded).toEqual([]);
    expect(kinds(p)).not.toContain("capbsetDrop");
  });

  test("non-root caller asking for another user: names the missing caps and the uid", () => {
    const me = caller({ uid: ids(1000), gid: ids(1000), groups: [] }, 0n);
    const r = refusal(() => plan(["--user", "nobody"], facts(me), { uid: 65534, gid: 65534, home: "/", groups: [65534], groupsRule: "init" }));
    expect(r.step).toBe("permission");
    expect(r.message).toContain("CAP_SETUID");
    expect(r.message).toContain("CAP_SETGID");
    expect(r.message).toContain("uid 1000");
  });

  test("already the target ids: idempotent; fewer groups than the target is kept without CAP_SETGID", () => {
    const me = caller({ uid: ids(1000), gid: ids(1000), groups: [] }, 0n);
    const p = plan(["--user", "app"], facts(me));
    expect(kinds(p)).not.toContain("setresuid");
    expect(kinds(p)).not.toContain("setresgid");
    expect(kinds(p)).not.toContain("setgroups");
    expect(p.notes.join("\n")).toContain("already uid 1000 gid 1000");
  });

  test("root's own groups never survive: they are replaced", () => {
    expect(opOf(plan(["--user", "app"]), "setgroups")!.groups).toEqual([1000, 27]);
  });

  test("caps the caller does not have, or that the bounding set removes, are refused", () => {
    expect(refusal(() => plan(["--user", "app", "--caps", "sys_module"])).message).toContain("cap_sys_module");
    expect(refusal(() => plan(["--user", "app", "--ambient-caps", "+net_raw", "--bounding-set", "-all"])).message).toContain("removed from the bounding set");
    expect(refusal(() => plan(["--user", "app", "--caps", "bogus"])).message).toContain('unknown capability "bogus"');
  });

  test.each([
    [["--caps", "net_raw", "--bounding-set", "-net_raw"], "--bounding-set -net_raw removes cap_net_raw, which --caps \"net_raw\" keeps"],
    [["--caps", "net_raw", "--ambient-caps", "-all"], "--ambient-caps -all removes cap_net_raw"],
    [["--caps", "net_raw", "--inh-caps", "-net_raw"], "--inh-caps -net_raw removes cap_net_raw"],
    [["--caps", "net_raw,chown", "--bounding-set", "-all,-chown"], "--bounding-set -chown removes cap_chown"],
  ])("an explicit removal of a cap --caps keeps is a conflict, never resolved either way: %j", (args, text) => {
    const r = refusal(() => plan(["--user", "app", ...args]));
    expect(r.step).toBe("usage");
    expect(r.message).toContain(text);
    expect(r.message).toContain("contradict");
  });

  test("--bounding-set -all with --caps is the documented idiom, not a conflict", () => {
    expect(opOf(plan(["--user", "app", "--caps", "net_raw", "--bounding-set", "-all"]), "capbsetDrop")!.result).toBe(capBit(13));
  });

  test("a kernel without ambient capabilities: ambient caps refused, the set left alone", () => {
    const old = { ...facts(), ambientSet: false };
    expect(refusal(() => plan(["--user", "app", "--caps", "net_raw"], old)).message).toContain("no ambient capabilities");
    expect(opOf(plan(["--user", "app"], old), "caps")!.ambientSet).toBe(false);
  });
});

describe("a bounding set that cannot be dropped: inert, degraded or refused", () => {
  /** docker run --user 1000:1000: the target ids already, no capability in any set, the bounding set full. */
  const asApp = (over: Partial<ProcessState> = {}) =>
    caller({ uid: ids(1000), gid: ids(1000), groups: [], caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: DOCKER_PLUS, ambient: 0n }, ...over });
  /** Kubernetes' hardened pattern: root, drop ALL + add SETUID, SETGID — no CAP_SETPCAP. */
  const SETIDS = maskOf([6, 7]);
  const k8s = (over: Partial<ProcessState> = {}) => caller({ caps: { inheritable: 0n, permitted: SETIDS, effective: SETIDS, bounding: SETIDS, ambient: 0n }, ...over });

  test("already the non-root target, NNP: inert — kept, not degraded, said in the plan", () => {
    const p = plan(["--user", "app"], facts(asApp(), false));
    expect(p.boundingInert).toContain("inert");
    expect(p.boundingInert).toContain("no CAP_SETPCAP");
    expect(p.degraded).toEqual([]);
    expect(kinds(p)).not.toContain("capbsetDrop");
    expect(p.predicted.caps.bounding).toBe(DOCKER_PLUS);
    expect(p.predicted.caps.permitted).toBe(0n);
    expect(p.notes.join("\n")).toContain("inert, not degraded");
  });

  test("root stepping down to a non-root target without CAP_SETPCAP (Kubernetes drop ALL + SETUID/SETGID): inert", () => {
    const p = plan(["--user", "app"], facts(k8s(), false));
    expect(p.boundingInert).toContain("uid 1000 is not root");
    expect(p.degraded).toEqual([]);
    expect(kinds(p)).toEqual(["fds", "setgroups", "setresgid", "setresuid", "caps", "nnp", "verify", "lookup", "resetSignals", "execve"]);
    expect(p.predicted.caps.permitted).toBe(0n);
    expect(p.predicted.caps.bounding).toBe(SETIDS);
  });

  test("NNP preset by the runtime (allowPrivilegeEscalation: false) keeps it inert even with --allow-new-privs", () => {
    expect(plan(["--user", "app", "--allow-new-privs"], facts(k8s({ noNewPrivs: true }), false)).boundingInert).not.toBeNull();
    expect(plan(["--user", "app", "--allow-new-privs"], facts(asApp({ noNewPrivs: true }), false)).boundingInert).not.toBeNull();
  });

  test("without --user the caller's own non-root ids are the target: inert too, unless one of them is root", () => {
    expect(plan([], facts(asApp(), false), null).boundingInert).not.toBeNull();
    const savedRoot = asApp({ uid: { real: 1000, effective: 1000, saved: 0, fs: 1000 } });
    expect(refusal(() => plan([], facts(savedRoot, false), null)).step).toBe("bounding");
  });

  test("kept caps stay exactly what was asked, and the residual set is still inert", () => {
    const nbs = capBit(10);
    const p = plan(["--user", "app", "--caps", "net_bind_service"], facts(k8s({ caps: { inheritable: 0n, permitted: SETIDS | nbs, effective: SETIDS | nbs, bounding: SETIDS | nbs, ambient: 0n } }), false));
    expect(p.boundingInert).toContain("only the capabilities asked for (cap_net_bind_service)");
    expect(p.predicted.caps.permitted).toBe(nbs);
    expect(opOf(p, "caps")!.ambient).toEqual([10]);
  });

  test("a cap still held by an already-target caller is dropped by capset, so the set is inert", () => {
    const held = asApp({ caps: { inheritable: capBit(10), permitted: capBit(10), effective: capBit(10), bounding: DOCKER_PLUS, ambient: capBit(10) } });
    const p = plan(["--user", "app"], facts(held, false));
    expect(p.boundingInert).not.toBeNull();
    expect(opOf(p, "caps")).toMatchObject({ permitted: 0n, effective: 0n, inheritable: 0n, ambient: [] });
  });

  test.each([
    ["--allow-new-privs", ["--allow-new-privs"]],
    ["nnp allowed to degrade", ["--allow-degraded", "nnp"]],
  ])("without certain no_new_privs the set matters (%s): refused, naming CAP_SETPCAP", (_why, args) => {
    const r = refusal(() => plan(["--user", "app", ...args], facts(k8s(), false)));
    expect(r.step).toBe("bounding");
    expect(r.message).toContain("CAP_SETPCAP");
  });

  test("--allow-degraded bounding then degrades only with NNP certain", () => {
    expect(refusal(() => plan(["--allow-new-privs", "--allow-degraded", "bounding"], facts(caller(), false), null)).message).toContain("drop --allow-new-privs");
    expect(refusal(() => plan(["--allow-degraded", "bounding,nnp"], facts(caller(), false), null)).message).toContain("do not also allow nnp to degrade");
  });

  test("root stays refused: a root caller without CAP_SETPCAP (lane a), and a root target even without caps", () => {
    expect(refusal(() => plan([], facts(caller(), false), null)).step).toBe("bounding");
    const bare = caller({ caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: DOCKER_PLUS, ambient: 0n } });
    expect(refusal(() => plan([], facts(bare, false), null)).step).toBe("bounding");
    expect(refusal(() => plan(["--user", "0:1000"], facts(k8s(), false), { ...app, uid: 0, gid: 1000 })).step).toBe("bounding");
  });
});

describe("capabilities and securebits a process cannot get are refused before any change", () => {
  test("inheritable caps for a non-root target keep caps over setresuid, as ambient ones do", () => {
    const p = plan(["--user", "app", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw"]);
    expect(kinds(p)).toContain("keepCaps");
    expect(opOf(p, "caps")).toMatchObject({ inheritable: capBit(13), permitted: 0n });
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
    expect(opOf(plan(["--securebits", "+keep_caps_locked"], facts(locked), null), "securebits")!.bits).toBe(0x23);
    expect(refusal(() => plan(["--user", "app", "--caps", "net_raw"], facts(caller({ securebits: 0x20 })))).message).toContain("keep_caps is locked off");
  });

  test("securebits need CAP_SETPCAP", () => {
    const r = refusal(() => plan(["--securebits", "+noroot"], facts(caller({}, capBit(10))), null));
    expect(r.step).toBe("securebits");
    expect(r.message).toContain("CAP_SETPCAP");
  });
});

describe("options", () => {
  const parse = (args: string[]) => parseExecWords(args)!;

  test("everything after -- (or from the first non-option) is the workload, even --help", () => {
    expect(parse(["-u", "app", "--", "--help", "-x"])).toMatchObject({ user: "app", argv: ["--help", "-x"] });
    expect(parse(["--user=app", "id", "-u", "--user", "root"])).toMatchObject({ user: "app", argv: ["id", "-u", "--user", "root"] });
    expect(parse(["-uapp", "id"]).user).toBe("app");
    expect(parse(["--env", "A=1", "--env", "B=2=3", "--", "x"]).env).toEqual([["A", "1"], ["B", "2=3"]]);
  });

  test.each([
    [["--no-new-privs", "--allow-new-privs"], "contradict"],
    [["--report", "f", "--report-fd", "3"], "choose one"],
    [["--preserve-fds", "3x"], "needs a number"],
    [["--pdeathsig", "BOGUS"], "not a signal"],
    [["--allow-degraded", "bounding,seccomp2"], "valid: bounding, groups, nnp, seccomp"],
    [["--log-format", "xml"], "text or ocsf"],
    [["--env", "=x"], "NAME=VALUE"],
    [["--bogus"], 'unknown option "--bogus" for "sbx exec"'],
    [["-x"], 'unknown option "-x" for "sbx exec"'],
    [["--user", "nobody", "--user", "root"], "--user is given more than once"],
    [["-u", "nobody", "--user=root"], "--user is given more than once"],
    [["--seccomp", "default", "--seccomp", "sandbox"], "--seccomp is given more than once"],
    [["--dry-run", "--dry-run"], "--dry-run is given more than once"],
    [["--dry-run=yes"], "--dry-run takes no value"],
  ])("%j is a usage error", (args, text) => {
    expect(() => parse([...args, "--", "true"])).toThrow(text);
  });

  test("a value option at the end has no value; like getopt, the next word is a value even when it is --", () => {
    expect(() => parse(["--user"])).toThrow("--user needs a value (USER[:GROUP])");
    expect(parse(["--user", "--", "true"])).toMatchObject({ user: "--", argv: ["true"] });
  });

  test("a command is required", () => {
    expect(() => parse(["-u", "app"])).toThrow(UsageError);
  });

  test("--help among sbx's own words, never the workload's", () => {
    expect(parseExecWords(["--help"])).toBeNull();
    expect(parse(["--", "--help"]).argv).toEqual(["--help"]);
    expect(parse(["sh", "--help"]).argv).toEqual(["sh", "--help"]);
  });

  test("securebits edits", () => {
    expect(applySecurebitEdits(0, "+noroot,+noroot_locked")).toBe(0x3);
    expect(() => applySecurebitEdits(0, "noroot")).toThrow("needs a + or -");
    expect(() => applySecurebitEdits(0, "+nope")).toThrow("unknown flag");
  });
});

describe("verify comparison", () => {
  const want = opOf(plan(["--user", "app"]), "verify")!.expected;
  const ok = caller({ uid: ids(1000), gid: ids(1000), groups: [27, 1000], noNewPrivs: true, caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n } });

  test("the planned state verifies", () => {
    expect(compareState(want, ok)).toEqual([]);
  });

  test("each difference is named, in every bit of every set", () => {
    expect(compareState(want, { ...ok, uid: { ...ok.uid, saved: 0 } })[0]).toContain("uid is 1000/1000/0/1000");
    expect(compareState(want, { ...ok, groups: [1000, 27, 0] })[0]).toContain("groups");
    expect(compareState(want, { ...ok, caps: { ...ok.caps, bounding: capBit(21) } })[0]).toContain("bounding set is 0000000000200000 (cap_sys_admin)");
    expect(compareState(want, { ...ok, caps: { ...ok.caps, ambient: capBit(63) } })[0]).toContain("ambient set is 8000000000000000");
    expect(compareState(want, { ...ok, noNewPrivs: false })[0]).toContain("no_new_privs");
  });
});

describe("property: random option sets on random callers", () => {
  const { CASES, pick, rng } = require("../support/random.ts") as typeof import("../support/random.ts");
  const { Refusal } = require("../../src/stepdown/refusal.ts") as typeof import("../../src/stepdown/refusal.ts");
  const OPTIONS: string[][] = [
    [], ["--caps", "net_raw"], ["--caps", "sys_admin,chown"], ["--bounding-set", "-net_raw"], ["--bounding-set", "-all,+kill"], ["--inh-caps", "+kill"],
    ["--ambient-caps", "-all"], ["--ambient-caps", "+net_bind_service"], ["--securebits", "+noroot"], ["--allow-new-privs"], ["--allow-degraded", "bounding"],
    ["--allow-degraded", "nnp"], ["--groups", "clear"], ["--pdeathsig", "TERM"], ["--workdir", "/"], ["--new-session"], ["--preserve-fds", "2"],
  ];
  const CALLERS = [caller(), caller({}, 0n), caller({ noNewPrivs: true }), caller({ uid: ids(1000), gid: ids(1000), groups: [] }, 0n), caller({ uid: ids(1000), gid: ids(1000), groups: [] }, 0xa82c25fbn), caller({ securebits: 0x20 })];
  const USERS = [null, app, { ...app, uid: 0, gid: 0, groups: [0] }, { ...app, uid: 0, gid: 1000, groups: [1000] }, { ...app, uid: 1000, gid: 0, groups: [0] }];

  test(`${CASES} plans: a refusal before any operation, or operations whose target ids are exactly the identity`, () => {
    const next = rng(19);
    for (let i = 0; i < CASES; i++) {
      const args = [...new Set(Array.from({ length: Math.floor(next() * 4) }, () => pick(next, OPTIONS)))].filter((o, j, all) => all.findIndex((x) => x[0] === o[0]) === j).flat();
      const state = pick(next, CALLERS);
      const identity = pick(next, USERS);
      const droppable = next() < 0.5;
      let p: ReturnType<typeof plan>;
      try {
        p = plan([...(identity ? ["--user", "x"] : []), ...args], facts(state, droppable), identity);
      } catch (e) {
        if (!(e instanceof Refusal) && !(e instanceof UsageError)) throw e;
        expect(e.message).not.toContain("\n");
        continue;
      }
      const want = opOf(p, "verify")!.expected;
      const uid = identity ? identity.uid : state.uid.effective;
      const gid = identity ? identity.gid : state.gid.effective;
      expect(want.uid.effective).toBe(uid);
      expect(want.gid.effective).toBe(gid);
      // uid/gid 0 only when the identity (or the caller staying itself) says 0.
      if (opOf(p, "setresuid")) expect(opOf(p, "setresuid")!.uid).toBe(identity!.uid);
      if (opOf(p, "setresgid")) expect(opOf(p, "setresgid")!.gid).toBe(identity!.gid);
      // The last operations are always the same, in this order.
      expect(kinds(p).slice(-2)).toEqual(["resetSignals", "execve"]);
      expect(kinds(p)[0]).toBe("fds");
      // A non-root target can never get root back.
      if (want.uid.effective !== 0 && (want.effective ?? 0n) === 0n) expect(want.regain.uid).toBe(true);
    }
  });
});
