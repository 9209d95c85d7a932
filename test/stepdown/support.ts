// Shared by the planner tests: what the preflight would have found, and catching a refusal.
import { type CallerFacts } from "../../src/stepdown/plan.ts";
import { Refusal } from "../../src/stepdown/refusal.ts";
import type { ProcessState } from "../../src/state/types.ts";

/** Facts about a caller on a kernel whose last cap is 40; `droppable` is the bounding probe's answer. */
export const callerFacts = (state: ProcessState, droppable = true): CallerFacts => ({
  state, lastCap: 40, boundingDroppable: droppable, boundingDropErrno: droppable ? null : "EPERM", listenFds: 0,
});

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
