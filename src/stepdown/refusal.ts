// A refusal: sbx will not run the workload, and says why in one line. Raised only while nothing
// has been changed yet (planning and preflight); after that, failures go through fatal().
import { type CommandLookup, describeLookup, lookupExitCode } from "../user/lookPath.ts";
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
export class LookupRefusal extends Refusal {
  constructor(readonly lookup: Exclude<CommandLookup, { kind: "found" }>) {
    super(lookupExitCode(lookup) === 127 ? "notFound" : "notExecutable", describeLookup(lookup));
  }
}
