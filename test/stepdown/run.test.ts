// The runner against a fake of the kernel calls it makes, without root: for a plan with every kind
// of operation, each call failing in turn with each errno — nothing after it runs, the exit code is
// the operation's, and an allowed degradation is recorded and the run goes on.
import { describe, expect, test } from "bun:test";
import { capBit } from "../../src/caps/mask.ts";
import { failureLine } from "../../src/render/messages.ts";
import { EXEC_SAY } from "../../src/cli/exec.ts";
import { STEP_EXIT, STEP_OF } from "../../src/stepdown/exitCodes.ts";
import { shortOf } from "../../src/stepdown/expect.ts";
import type { Expected, Op } from "../../src/stepdown/ops.ts";
import type { StepDownPlan } from "../../src/stepdown/plan.ts";
import { execute, type Kernel, type Outcome } from "../../src/stepdown/run.ts";
import type { SeccompFilter } from "../../src/stepdown/seccomp/types.ts";
import type { ProcessState } from "../../src/state/types.ts";
import { EACCES, EFAULT, EINVAL, ENOENT, ENOSYS, EPERM, type Errno } from "../../src/sys/errno.ts";
import { fail, ok, type SysResult } from "../../src/sys/result.ts";
import type { AccessProbe, LandlockFacts } from "../../src/stepdown/landlock/types.ts";
import type { LimitFacts } from "../../src/stepdown/limits.ts";
import type { Limit } from "../../src/sys/rlimit.ts";
import { app, caller, callerFacts, kinds, opOf, planOf } from "./support.ts";

const FILTER: SeccompFilter = { profile: "p.json", source: "json", bytes: new Uint8Array(8), flags: 0, warnings: [], sha256: "0".repeat(64), instructions: 1 };

const CAP_SYS_RESOURCE = 1n << 24n;
/** Landlock ABI 7, one rule on /w (a directory), and /dev/null reached through / and /dev; `grant` is what a rule on /dev allows. */
export const LANDLOCK: LandlockFacts = {
  abi: 7, abiErrno: null,
  rules: [{ text: "path-beneath::/w", path: "/w", access: null, fd: 20, directory: true, id: "8:1/5" }],
  chains: { "/dev": ["8:1/2", "0:5/1"], "/dev/null": ["8:1/2", "0:5/1", "0:5/4"] },
  command: null,
};
/** nofile 50:100 now; --rlimit nofile=100:200 raises the hard limit first. */
const LIMITS: LimitFacts = { current: new Map([[7, { soft: 50n, hard: 100n }]]), nrOpen: 1048576 };

/** A plan with every operation kind: sbx exec with nearly every option, a report and a filter. */
function fullPlan(extra: string[] = [], landlock: LandlockFacts = LANDLOCK): StepDownPlan {
  return planOf(
    ["--user", "app", "--caps", "net_bind_service", "--securebits", "+noroot", "--new-session", "--pdeathsig", "TERM", "--workdir", "/w", "--preserve-fds", "1", "--seccomp", "p.json",
      "--rlimit", "nofile=100:200", "--umask", "027", "--landlock-access", "fs", "--landlock-rule", "path-beneath::/w", ...extra],
    callerFacts(caller({}, 0xa82c25fbn | CAP_SYS_RESOURCE)),
    app,
    {
      fds: { status: 9, report: { fd: 12, to: '"r.json"', restoreFlags: 0 } },
      seccomp: { filter: FILTER, refusedErrno: null, after: { mode: { kind: "runs" }, status: { kind: "runs" } } },
      landlock,
      limits: LIMITS,
    },
  );
}

const stateOf = (e: Expected): ProcessState => ({
  pid: 1, source: "syscalls", uid: e.uid, gid: e.gid, groups: e.groups,
  caps: { inheritable: e.inheritable, permitted: e.permitted ?? 0n, effective: e.effective ?? 0n, bounding: e.bounding, ambient: e.ambient },
  securebits: e.securebits, noNewPrivs: e.noNewPrivs, seccompMode: 0, seccompFilters: 0,
});

/** Every call the runner can make, recorded by name; `failing` names the one to fail (its nth occurrence). */
class FakeKernel implements Kernel {
  calls: string[] = [];
  constructor(
    private readonly state: () => ProcessState,
    private readonly failing: { call: string; nth: number; errno: Errno } | null = null,
    private readonly throwing: string | null = null,
  ) {}
  private seen = new Map<string, number>();
  private limits = new Map<number, Limit>();
  private mask = 0o22;
  private restricted = false;
  private call<T>(name: string, value: T): SysResult<T> {
    this.calls.push(name);
    if (name === this.throwing) throw new Error(`${name} is broken`);
    const n = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, n);
    if (this.failing?.call === name && this.failing.nth === n) return fail(this.failing.errno, name);
    return ok(value);
  }
  setCloexec = () => this.call("setCloexec", 0);
  cloexecFrom = () => this.call("cloexecFrom", 0);
  setsid = () => this.call("setsid", 0);
  setgroups = () => this.call("setgroups", 0);
  setresgid = (g: number) => (g === 0 ? this.call("regain-gid", 0) : this.call("setresgid", 0));
  setresuid = (u: number) => (u === 0 ? this.call("regain-uid", 0) : this.call("setresuid", 0));
  capbsetDrop = () => this.call("capbsetDrop", 0);
  capbsetRead = () => this.call("capbsetRead", 1); // still there: a drop that failed did not happen
  setSecurebits = () => this.call("setSecurebits", 0);
  setKeepCaps = () => this.call("setKeepCaps", 0);
  capget = () => this.call("capget", { effective: 0n, permitted: 0n, inheritable: 0n });
  capset = () => this.call("capset", 0);
  ambientClearAll = () => this.call("ambientClearAll", 0);
  ambientRaise = () => this.call("ambientRaise", 0);
  setPdeathsig = () => this.call("setPdeathsig", 0);
  chdir = () => this.call("chdir", 0);
  setNoNewPrivs = () => this.call("setNoNewPrivs", 0);
  readState = () => {
    const r = this.call("readState", this.state());
    return r.ok ? { ok: true as const, value: r.value } : { ok: false as const, problem: "cannot read" };
  };
  lookPath = () => {
    const r = this.call("lookPath", 0);
    return r.ok ? { kind: "found" as const, path: "/bin/true" } : { kind: "not-found" as const, command: "true", searchPath: "/bin" };
  };
  setRlimit = (res: number, l: Limit) => {
    const r = this.call("setRlimit", 0);
    if (r.ok) this.limits.set(res, l);
    return r;
  };
  getRlimit = (res: number) => this.call("getRlimit", this.limits.get(res) ?? { soft: 0n, hard: 0n });
  setUmask = (m: number) => {
    const r = this.call("setUmask", this.mask);
    if (r.ok) this.mask = m;
    return r;
  };
  landlockCreateRuleset = () => this.call("landlockCreateRuleset", 30);
  landlockAddRule = () => this.call("landlockAddRule", 0);
  landlockRestrictSelf = () => {
    const r = this.call("landlockRestrictSelf", 0);
    if (r.ok) this.restricted = true;
    return r;
  };
  /** Each probe is made by the target user: allowed before the ruleset, then as the ruleset says. */
  probeAccess = (p: AccessProbe) => {
    const r = this.call("probeAccess", 0);
    return r.ok && this.restricted && p.expect === "denied" ? fail(EACCES, "open") : r;
  };
  installFilter = () => this.call("installFilter", 0);
  getSeccompMode = () => this.call("getSeccompMode", 2);
  readStatus = () => this.call("readStatus", "Seccomp:\t2\nSeccomp_filters:\t1\n");
  write = () => this.call("write", 0);
  restoreFlags = () => this.call("restoreFlags", 0);
  resetSignals = () => this.call("resetSignals", 0);
  ignoreWriteSignals = () => {
    this.calls.push("ignoreWriteSignals");
  };
  prepareExecve = () => () => this.call("execve", undefined as never);
}

const SINKS = { degraded: () => {}, report: () => new Uint8Array(1) };
const expectedOf = (p: StepDownPlan) => opOf(p, "verify")!.expected;

/** The calls a clean run makes, in order. */
function cleanCalls(p: StepDownPlan): string[] {
  const k = new FakeKernel(() => stateOf(expectedOf(p)));
  const out = execute(p, regainProof(k), SINKS);
  expect(out.kind).toBe("replaced");
  return k.calls;
}

/** The kernel a non-root target meets: setresuid(0) and setresgid(0) fail with EPERM (recorded). */
function regainProof(k: FakeKernel): Kernel {
  const denied = (name: string) => {
    k.calls.push(name);
    return fail(EPERM, name);
  };
  return { ...k, setresuid: (u: number) => (u === 0 ? denied("regain-uid") : k.setresuid(u)), setresgid: (g: number) => (g === 0 ? denied("regain-gid") : k.setresgid(g)) };
}

/** Which operation a call belongs to, by running the plan op by op. */
const CALL_OF_OP: Record<Op["kind"], string[]> = {
  fds: ["setCloexec", "cloexecFrom"],
  setsid: ["setsid"],
  rlimitRaise: ["setRlimit"],
  setgroups: ["setgroups"],
  setresgid: ["setresgid"],
  capbsetDrop: ["capbsetDrop"],
  securebits: ["setSecurebits"],
  keepCaps: ["setKeepCaps"],
  setresuid: ["setresuid"],
  caps: ["capget", "capset", "setKeepCaps", "ambientClearAll", "ambientRaise"],
  pdeathsig: ["setPdeathsig"],
  chdir: ["chdir"],
  nnp: ["setNoNewPrivs"],
  verify: ["readState"],
  lookup: ["lookPath"],
  rlimits: ["setRlimit", "getRlimit"],
  umask: ["setUmask", "readStatus"],
  landlock: ["probeAccess", "landlockCreateRuleset", "landlockAddRule", "landlockRestrictSelf"],
  renderReport: [],
  seccomp: ["installFilter", "getSeccompMode", "readStatus"],
  writeReport: ["write", "restoreFlags"],
  resetSignals: ["resetSignals"],
  execve: ["execve", "ignoreWriteSignals"],
};

/** Calls an operation may still make after its own call failed, before it gives up. */
const AFTERMATH: Partial<Record<Op["kind"], string[]>> = {
  capbsetDrop: ["capbsetRead"], rlimits: ["getRlimit"], umask: ["readStatus"], seccomp: ["readStatus"], writeReport: ["restoreFlags"], execve: ["ignoreWriteSignals"],
};

/** Calls that read back what an operation did: their failure is a verify failure (217), not the operation's. */
const READ_BACK = (kind: Op["kind"], call: string, nth: number) =>
  kind === "verify" || (kind === "seccomp" && call !== "installFilter") || call === "getRlimit" || (kind === "umask" && !(call === "setUmask" && nth === 1));

/** Each call of a run, with the operation it belongs to: the ops run in array order, so at or after the previous call's. */
function opsOfCalls(p: StepDownPlan, calls: readonly string[]): Array<Op["kind"]> {
  let at = 0;
  return calls.map((c) => {
    if (c.startsWith("regain")) return kinds(p)[at]!;
    at = kinds(p).findIndex((kind, i) => i >= at && CALL_OF_OP[kind].includes(c));
    return kinds(p)[at]!;
  });
}

/** Calls whose failure changes nothing: restoring the report fd's flags is best effort (the fd is close-on-exec). */
const BEST_EFFORT = new Set(["restoreFlags", "ignoreWriteSignals", "capbsetRead"]);
/** Landlock's probes answer, they do not fail: each has its own tests below. */
const PROBES = new Set(["probeAccess"]);

function codeOf(out: Outcome): number {
  if (out.kind === "replaced") return 0;
  return STEP_EXIT[failureLine(out, EXEC_SAY, 1000).step];
}

describe("the runner executes the plan's operations, in order, and only those", () => {
  const p = fullPlan();

  test("the plan has every kind of operation", () => {
    expect(new Set<string>(kinds(p))).toEqual(new Set(Object.keys(CALL_OF_OP)));
  });

  test("a clean run makes each operation's calls in plan order, then execve", () => {
    // Each call belongs to the operation at or after the previous call's: the ops run in array order.
    let at = 0;
    for (const c of cleanCalls(p).filter((c) => !c.startsWith("regain"))) {
      const next = kinds(p).findIndex((kind, i) => i >= at && CALL_OF_OP[kind].includes(c));
      expect({ call: c, op: next }).not.toEqual({ call: c, op: -1 });
      at = next;
    }
    expect(kinds(p)[at]).toBe("execve");
  });

  test("restoring the report fd's flags is best effort: its failure changes nothing", () => {
    const k = new FakeKernel(() => stateOf(expectedOf(p)), { call: "restoreFlags", nth: 1, errno: EPERM });
    expect(execute(p, regainProof(k), SINKS).kind).toBe("replaced");
  });
});

describe("each call failing, with each errno: nothing after it runs, and the operation's exit code", () => {
  const p = fullPlan();
  const calls = cleanCalls(p);
  const owners = opsOfCalls(p, calls);
  const occurrences = calls.map((c, i) => ({ call: c, nth: calls.slice(0, i + 1).filter((x) => x === c).length, at: i, kind: owners[i]! }));

  for (const { call, nth, at, kind } of occurrences) {
    if (call.startsWith("regain") || BEST_EFFORT.has(call) || PROBES.has(call)) continue;
    for (const errno of [EPERM, EINVAL, ENOSYS, EFAULT, ENOENT, EACCES]) {
      test(`${call} #${nth} (${kind}) fails with ${errno.name}`, () => {
        const k = new FakeKernel(() => stateOf(expectedOf(p)), { call, nth, errno });
        const out = execute(p, regainProof(k), SINKS);
        expect(out.kind).not.toBe("replaced");
        const after = k.calls.slice(at + 1).filter((c) => !(AFTERMATH[kind] ?? []).includes(c));
        expect(after).toEqual([]);
        const want =
          READ_BACK(kind, call, nth) ? STEP_EXIT.verify
          : kind === "lookup" ? STEP_EXIT.notFound
          : kind === "execve" ? (errno === ENOENT ? 127 : errno === EACCES ? 126 : STEP_EXIT.exec)
          : STEP_EXIT[STEP_OF[kind]];
        expect(codeOf(out)).toBe(want);
        if (out.kind !== "replaced" && out.kind !== "internal") expect(failureLine(out, EXEC_SAY, 1000).message).not.toContain("\n");
      });
    }
  }

  test("a bug (a call that throws) in any operation stops the run there: internal, 219", () => {
    for (const call of new Set(calls.filter((c) => !c.startsWith("regain") && c !== "ignoreWriteSignals"))) {
      const k = new FakeKernel(() => stateOf(expectedOf(p)), null, call);
      const out = execute(p, regainProof(k), SINKS);
      expect(out.kind).toBe("internal");
      expect(codeOf(out)).toBe(STEP_EXIT.internal);
      expect(k.calls.at(-1)).toBe(call);
    }
  });

  test("a regain probe that succeeds is a verify failure: the process could get root back", () => {
    const k = new FakeKernel(() => stateOf(expectedOf(p)));
    const out = execute(p, k, SINKS);
    expect(out).toMatchObject({ kind: "verify" });
    expect(codeOf(out)).toBe(217);
    expect((out as { problems: string[] }).problems.join()).toContain("setresuid(0) succeeded");
    expect(k.calls.at(-1)).toBe("regain-gid");
  });

  test("a state that differs from the plan stops before the lookup", () => {
    const k = new FakeKernel(() => ({ ...stateOf(expectedOf(p)), caps: { ...stateOf(expectedOf(p)).caps, bounding: capBit(21) } }));
    const out = execute(p, regainProof(k), SINKS);
    expect(codeOf(out)).toBe(217);
    expect(k.calls).not.toContain("lookPath");
  });
});

describe("a degradation the operator allowed by name: recorded, announced, and the run goes on", () => {
  test.each([
    ["groups", "setgroups", (e: Expected) => shortOf(e, { name: "groups", groups: caller().groups })],
    ["bounding", "capbsetDrop", (e: Expected) => shortOf(e, { name: "bounding", residual: (1n << 41n) - 1n })],
    ["nnp", "setNoNewPrivs", (e: Expected) => shortOf(e, { name: "nnp", noNewPrivs: false })],
    ["seccomp", "installFilter", (e: Expected) => e],
    ["landlock", "landlockCreateRuleset", (e: Expected) => e],
    ["landlock", "landlockAddRule", (e: Expected) => e],
    ["landlock", "landlockRestrictSelf", (e: Expected) => e],
  ] as const)("%s (%s refused)", (name, call, expectation) => {
    const p = fullPlan(["--allow-degraded", name]);
    const announced: string[] = [];
    const k = new FakeKernel(() => stateOf(expectation(expectedOf(p))), { call, nth: 1, errno: EPERM });
    const out = execute(p, regainProof(k), { degraded: (d) => announced.push(d.name), report: () => new Uint8Array(1) });
    expect(out.kind).toBe("replaced");
    expect(announced).toEqual([name]);
    expect(k.calls.at(-1)).toBe("execve");
    if (name === "seccomp") expect(k.calls).not.toContain("getSeccompMode");
    if (name === "landlock") expect(k.calls.filter((c) => c === "probeAccess")).toHaveLength(opOf(p, "landlock")!.probes.length); // the probes before only
  });

  test("without the name, the same failure is fatal with the step's code", () => {
    const p = fullPlan();
    const k = new FakeKernel(() => stateOf(expectedOf(p)), { call: "setgroups", nth: 1, errno: EPERM });
    const out = execute(p, regainProof(k), SINKS);
    expect(codeOf(out)).toBe(207);
    expect(failureLine(out as never, EXEC_SAY, 1000).message).toContain("accept with --allow-degraded groups");
  });
});


describe("Landlock's probes: made before and after restrict_self, as the target user", () => {
  const p = fullPlan();
  const probes = opOf(p, "landlock")!.probes;
  const observed = (k: Kernel) => {
    let got: unknown = null;
    const out = execute(p, k, { degraded: () => {}, report: (_p, _r, _d, _s, _x, o) => ((got = o.landlock), new Uint8Array(1)) });
    return { out, landlock: got as { enforced: boolean; probes: Array<{ before: string; after: string | null; conclusive: boolean }> } };
  };

  test("the plan probes read-dir on /dev and read-file, write-file on /dev/null, each to be denied", () => {
    expect(probes.map((x) => `${x.right} ${x.target} ${x.expect}`)).toEqual(["read-dir /dev denied", "read-file /dev/null denied", "write-file /dev/null denied"]);
  });

  test("a clean run: every probe allowed before, denied after; each is in the report", () => {
    const k = new FakeKernel(() => stateOf(expectedOf(p)));
    const { out, landlock } = observed(regainProof(k));
    expect(out.kind).toBe("replaced");
    expect(landlock.enforced).toBe(true);
    expect(landlock.probes.map((x) => [x.before, x.after, x.conclusive])).toEqual(probes.map(() => ["ok", "EACCES", true]));
    expect(k.calls.filter((c) => c === "probeAccess")).toHaveLength(2 * probes.length);
  });

  for (const errno of [EACCES, EPERM, ENOENT]) {
    test(`a probe the target cannot make before the ruleset either (${errno.name}) shows nothing: not made again, and no failure`, () => {
      const k = new FakeKernel(() => stateOf(expectedOf(p)), { call: "probeAccess", nth: 1, errno });
      const { out, landlock } = observed(regainProof(k));
      expect(out.kind).toBe("replaced");
      expect(landlock.probes[0]).toMatchObject({ before: errno.name, after: null, conclusive: false });
    });
  }

  test("a probe that still succeeds once the ruleset is in force: verify failure, 217, nothing executed", () => {
    const k = new FakeKernel(() => stateOf(expectedOf(p)));
    const kernel = { ...regainProof(k), probeAccess: () => ok(0) };
    const out = execute(p, kernel, SINKS);
    expect(codeOf(out)).toBe(217);
    expect(failureLine(out as never, EXEC_SAY, 1000).message).toContain("read-dir on /dev still answers ok (before: ok), the ruleset should deny it with EACCES");
    expect(k.calls).not.toContain("installFilter");
  });

  test("a probe the plan allows (a rule on /dev grants read-file) that is denied after: 217", () => {
    const facts = { ...LANDLOCK, rules: [...LANDLOCK.rules, { text: "path-beneath:read-file:/dev", path: "/dev", access: 4n, fd: 21, directory: true, id: "0:5/1" }] };
    const q = fullPlan([], facts);
    // /dev/null can now be opened for reading, so ioctl-dev is probed too (still denied).
    expect(opOf(q, "landlock")!.probes.map((x) => `${x.right} ${x.how} ${x.expect}`)).toEqual(["read-dir open-dir denied", "read-file open-read allowed", "write-file open-write denied", "ioctl-dev ioctl-read denied"]);
    let restricted = false;
    const k = new FakeKernel(() => stateOf(expectedOf(q)));
    const kernel = { ...regainProof(k), landlockRestrictSelf: () => ((restricted = true), ok(0)), probeAccess: () => (restricted ? fail(EACCES, "open") : ok(0)) };
    const out = execute(q, kernel, SINKS);
    expect(codeOf(out)).toBe(217);
    expect(failureLine(out as never, EXEC_SAY, 1000).message).toContain("read-file on /dev/null answers EACCES (before: ok), the ruleset allows it");
  });
});
