// Shared by the planner and runner tests: what the preflight would have found, a plan made from
// a command line, and catching a refusal.
import { EXEC_SAY, parseExecWords } from "../../src/cli/exec.ts";
import type { ResolvedUser } from "../../src/identity/resolve.ts";
import type { OpKind, OpOf } from "../../src/stepdown/ops.ts";
import { type CallerFacts, planStepDown, type PlanInput, type StepDownPlan } from "../../src/stepdown/plan.ts";
import { Refusal } from "../../src/stepdown/refusal.ts";
import type { ProcessState } from "../../src/state/types.ts";

/** Facts about a caller on a kernel whose last cap is 40; `droppable` is the bounding probe's answer. */
export const callerFacts = (state: ProcessState, droppable = true): CallerFacts => ({
  state, lastCap: 40, ambientSet: true, boundingDroppable: droppable, boundingDropErrno: droppable ? null : "EPERM", listenFds: 0, kernelHasSeccomp: true,
});

const ids = (n: number) => ({ real: n, effective: n, saved: n, fs: n });

/** A caller: root with `caps` in every set but inheritable/ambient, unless overridden. */
export function caller(over: Partial<ProcessState> = {}, caps = 0xa82c25fbn): ProcessState {
  return {
    pid: 1, source: "syscalls", uid: ids(0), gid: ids(0), groups: [0, 1, 2, 3, 4, 6, 10],
    caps: { inheritable: 0n, permitted: caps, effective: caps, bounding: caps, ambient: 0n },
    securebits: 0, noNewPrivs: false, seccompMode: 0, seccompFilters: 0, ...over,
  };
}

export const app: ResolvedUser = { uid: 1000, gid: 1000, home: "/home/app", name: "app", groups: [1000, 27], groupsRule: "init" };

/** The plan for `sbx exec ARGS -- true`, made for this caller and identity. */
export function planOf(args: string[], facts: CallerFacts = callerFacts(caller()), identity: ResolvedUser | null = app, over: Partial<PlanInput> = {}): StepDownPlan {
  const options = parseExecWords([...args, "--", "true"])!;
  return planStepDown({ options, facts, identity, workload: { command: "true", argv: ["true"], env: [], path: "/bin" }, fds: { status: 9, report: null }, seccomp: null, say: EXEC_SAY, ...over });
}

export const kinds = (p: StepDownPlan) => p.ops.map((o) => o.kind);
export const opOf = <K extends OpKind>(p: StepDownPlan, kind: K): OpOf<K> | undefined => p.ops.find((o): o is OpOf<K> => o.kind === kind);

/** The Refusal `fn` throws; anything else (or nothing) fails the test. */
export function refusal(fn: () => unknown): Refusal {
  try {
    fn();
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}
