// afterExecve, the kernel's execve rules for a binary without file capabilities or setid bits, as
// a table of behaviours: each row a thread right before execve and what the workload gets. The
// real-kernel side (the workload's own /proc status equals the prediction) is test/exec/report.test.ts.
import { describe, expect, test } from "bun:test";
import { capBit } from "../../src/caps/mask.ts";
import { securebitLockMask, securebitMask } from "../../src/caps/securebits.ts";
import { afterExecve, type BeforeExecve, type PredictedState } from "../../src/stepdown/execve.ts";
import { planOf } from "./support.ts";

const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });
const FULL = (1n << 41n) - 1n;
const NBS = capBit(10);
const SETPCAP = capBit(8);
const NOROOT = securebitMask("noroot");
const KEEP_CAPS = securebitMask("keep_caps");

/** A thread right before execve: uid/gid 1000, no capability but a full bounding set, no_new_privs. */
function before(over: Partial<BeforeExecve> = {}, caps: Partial<BeforeExecve["caps"]> = {}): BeforeExecve {
  return {
    uid: ids(1000), gid: ids(1000), groups: [1000], securebits: 0, noNewPrivs: true, seccompMode: 0, seccompFilters: 0, ...over,
    caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: FULL, ambient: 0n, ...caps },
  };
}
const root = (caps: Partial<BeforeExecve["caps"]> = {}, over: Partial<BeforeExecve> = {}) =>
  before({ uid: ids(0), gid: ids(0), groups: [0], ...over }, { permitted: FULL, effective: FULL, ...caps });

type Sets = Pick<PredictedState["caps"], "permitted" | "effective" | "ambient">;
const sets = (p: PredictedState): Sets => ({ permitted: p.caps.permitted, effective: p.caps.effective, ambient: p.caps.ambient });

const CASES: Array<[string, BeforeExecve, Sets]> = [
  ["non-root, no ambient: nothing, whatever the bounding set holds", before(), { permitted: 0n, effective: 0n, ambient: 0n }],
  ["non-root: the permitted set it holds is lost, only ambient survives", before({}, { permitted: NBS | SETPCAP, effective: NBS, inheritable: NBS | SETPCAP }), { permitted: 0n, effective: 0n, ambient: 0n }],
  ["non-root with an ambient cap: permitted = effective = ambient", before({}, { permitted: NBS, effective: NBS, inheritable: NBS, ambient: NBS }), { permitted: NBS, effective: NBS, ambient: NBS }],
  ["root: bounding | inheritable, effective too", root({ bounding: NBS }), { permitted: NBS, effective: NBS, ambient: 0n }],
  ["root with an empty bounding set: nothing, although it holds every cap before execve", root({ bounding: 0n }), { permitted: 0n, effective: 0n, ambient: 0n }],
  ["root: inheritable counts as well as the bounding set", root({ bounding: NBS, inheritable: SETPCAP }), { permitted: NBS | SETPCAP, effective: NBS | SETPCAP, ambient: 0n }],
  ["root under SECBIT_NOROOT: only its ambient caps", root({ inheritable: SETPCAP, ambient: SETPCAP }, { securebits: NOROOT | securebitLockMask("noroot") }), { permitted: SETPCAP, effective: SETPCAP, ambient: SETPCAP }],
  ["real uid 0 only: permitted from the root rule, effective only ambient", root({ bounding: NBS }, { uid: { real: 0, effective: 1000, saved: 1000, fs: 1000 } }), { permitted: NBS, effective: 0n, ambient: 0n }],
  ["effective uid 0 only: permitted and effective from the root rule", root({ bounding: NBS }, { uid: { real: 1000, effective: 0, saved: 0, fs: 0 } }), { permitted: NBS, effective: NBS, ambient: 0n }],
  ["root under no_new_privs gains nothing: permitted stays within what it held", root({ permitted: NBS, effective: NBS, bounding: NBS | SETPCAP }), { permitted: NBS, effective: NBS, ambient: 0n }],
  ["root without no_new_privs gets the bounding set back even beyond what it held", root({ permitted: NBS, effective: NBS, bounding: NBS | SETPCAP }, { noNewPrivs: false }), { permitted: NBS | SETPCAP, effective: NBS | SETPCAP, ambient: 0n }],
];

describe("afterExecve: the capability sets", () => {
  for (const [name, b, want] of CASES) test(name, () => expect(sets(afterExecve(b))).toEqual(want));
});

describe("afterExecve: everything else", () => {
  test("bounding and inheritable sets, groups, no_new_privs and seccomp pass unchanged", () => {
    const b = before({ groups: [1000, 27], seccompMode: 2, seccompFilters: 3 }, { bounding: NBS, inheritable: NBS | SETPCAP });
    const p = afterExecve(b);
    expect(p.caps.bounding).toBe(NBS);
    expect(p.caps.inheritable).toBe(NBS | SETPCAP);
    expect(p.groups).toEqual([1000, 27]);
    expect([p.noNewPrivs, p.seccompMode, p.seccompFilters]).toEqual([true, 2, 3]);
    expect(afterExecve(before({ noNewPrivs: false, seccompFilters: null }))).toMatchObject({ noNewPrivs: false, seccompFilters: null });
  });

  test("keep_caps is cleared; every other securebit and every lock stays", () => {
    const bits = KEEP_CAPS | securebitLockMask("keep_caps") | NOROOT | securebitMask("no_setuid_fixup");
    expect(afterExecve(before({ securebits: bits })).securebits).toBe(bits & ~KEEP_CAPS);
  });

  test("the saved and fs ids become the effective ones", () => {
    const p = afterExecve(before({ uid: { real: 1000, effective: 1000, saved: 0, fs: 5 }, gid: { real: 1000, effective: 1000, saved: 0, fs: 1000 } }));
    expect(p.uid).toEqual(ids(1000));
    expect(p.gid).toEqual(ids(1000));
  });

  test("an effective gid outside the fs gid and the groups counts as changed: ambient cleared, and under no_new_privs the real ids return", () => {
    const gid = { real: 1000, effective: 2000, saved: 2000, fs: 1000 };
    const b = before({ uid: { real: 1000, effective: 3000, saved: 3000, fs: 3000 }, gid }, { permitted: NBS, effective: NBS, inheritable: NBS, ambient: NBS });
    const p = afterExecve(b);
    expect(sets(p)).toEqual({ permitted: 0n, effective: 0n, ambient: 0n });
    expect([p.uid, p.gid]).toEqual([ids(1000), ids(1000)]);
    // Without no_new_privs the effective ids stay; the ambient set still goes.
    const free = afterExecve({ ...b, noNewPrivs: false });
    expect([free.uid.effective, free.gid.effective, free.caps.ambient]).toEqual([3000, 2000, 0n]);
    // A member of that group, or an fs gid equal to it, changes nothing.
    expect(afterExecve({ ...b, groups: [1000, 2000] }).caps.ambient).toBe(NBS);
    expect(afterExecve({ ...b, gid: { ...gid, fs: 2000 } }).caps.ambient).toBe(NBS);
  });
});

describe("--dry-run's prediction is afterExecve of what verification expects", () => {
  test("a root target's permitted set before execve is the caller's, after execve the bounding set", () => {
    const p = planOf(["--user", "root", "--bounding-set", "-all,+net_bind_service"], undefined, { uid: 0, gid: 0, home: "/root", name: "root", groups: [0], groupsRule: "init" });
    expect(p.predicted.caps).toEqual({ inheritable: 0n, permitted: NBS, effective: NBS, bounding: NBS, ambient: 0n });
  });

  test("keep_caps set for the uid change is off before execve and after", () => {
    const p = planOf(["--user", "app", "--caps", "net_bind_service"]);
    expect(p.predicted.securebits).toBe(0);
    expect(sets(p.predicted)).toEqual({ permitted: NBS, effective: NBS, ambient: NBS });
  });
});
