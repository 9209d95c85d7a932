// A refusal: sbx will not run the workload, and says why in one line. Raised only before the first
// change (preflight, planning, preparing); after that, failures are values the runner returns.
import type { CommandLookup } from "../identity/lookPath.ts";
import type { Step } from "./exitCodes.ts";

export class Refusal extends Error {
  constructor(
    readonly step: Step,
    message: string,
    /** Stable OCSF finding id when this refusal is a security finding (not a typo). */
    readonly findingUid: string | null = null,
  ) {
    super(message);
  }
}

/** The command cannot be found or used; front ends word it themselves (gosu has its own texts). */
export class LookupRefusal extends Error {
  constructor(readonly lookup: Exclude<CommandLookup, { kind: "found" }>) {
    super("command not found or not executable");
  }
}
