// The one-line messages of the step-down, rendered from the operation that failed and what the
// kernel answered: what failed, on which input, the likely cause, and what the operator can do.
// The front ends (sbx exec, gosu mode) choose the prefix and the exit code's voice; the words for
// options come from the plan's vocabulary ("--allow-degraded groups" / "SBX_ALLOW_DEGRADED=groups").
import { capName } from "../caps/names.ts";
import { type CapMask, names, toHex } from "../caps/mask.ts";
import { describeLookup } from "../identity/lookPath.ts";
import { DEGRADATION_FINDING, type Degraded } from "../stepdown/degrade.ts";
import { STEP_OF, type Step } from "../stepdown/exitCodes.ts";
import type { Op } from "../stepdown/ops.ts";
import type { Vocabulary } from "../stepdown/plan.ts";
import type { Failure } from "../stepdown/run.ts";
import { describe, type SysFailure } from "../sys/result.ts";
import { signalName } from "../sys/signals.ts";
import { listText, quote } from "../text/quote.ts";
import { capsHint, execHint, fdsHint, groupsHint, groupsText, idHint, prctlHint, seccompHint, sessionHint, workdirHint } from "./hints.ts";

export interface Line {
  step: Step;
  message: string;
  /** The OCSF finding id of a refusal or failure. */
  finding: string;
}

const capList = (m: CapMask) => names(m).join(",") || "none";
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const findingOf = (step: Step) => `stepdown-${kebab(step)}-failed`;

/** The cause of a failed call of `op`, after the call and errno. */
function cause(op: Op, f: SysFailure, extra: { cap?: number; residual?: CapMask; limit?: string }, say: Vocabulary): string {
  switch (op.kind) {
    case "fds":
      return fdsHint(f.errno);
    case "setsid":
      return sessionHint(f.errno);
    case "setgroups":
      return `${groupsHint(f.errno)}; the inherited groups ${groupsText(op.inherited)} would remain instead of ${listOf(op.groups)}; accept with ${say.option("allowDegraded", "groups")}`;
    case "setresgid":
      return idHint("gid", f.errno);
    case "setresuid":
      return idHint("uid", f.errno);
    case "capbsetDrop":
      return boundingCause(extra, say) + `; remedy: grant CAP_SETPCAP, or accept with ${say.option("allowDegraded", "bounding")}`;
    case "securebits":
      return "a bit this kernel does not know (exec_restrict_file/exec_deny_interactive need Linux 6.14), or an LSM/seccomp filter refuses it";
    case "keepCaps":
      return "keep_caps is locked by securebits, or an outer seccomp filter/LSM refuses PR_SET_KEEPCAPS";
    case "caps":
      return extra.cap === undefined ? capsHint(f.errno) : `cannot raise ${capName(extra.cap)} into the ambient set: ${capsHint(f.errno)}`;
    case "rlimitRaise":
      return `cannot raise the hard limit of ${extra.limit}: ${f.errno.name === "EPERM" ? "CAP_SYS_RESOURCE is missing or does not count here (a user namespace), or the value is above a kernel maximum" : "an outer seccomp filter or LSM refuses prlimit"}`;
    case "rlimits":
      return `cannot set ${extra.limit}: ${f.errno.name === "EPERM" ? "the value is above the hard limit or a kernel maximum" : f.errno.name === "EINVAL" ? "the kernel refuses the value" : "an outer seccomp filter or LSM refuses prlimit"}`;
    case "umask":
      return "umask(2) cannot fail by itself: an outer seccomp filter refuses it";
    case "landlock":
      return `${landlockWhy(f)}; the workload would run without the Landlock ruleset — accept with ${say.option("allowDegraded", "landlock")}`;
    case "pdeathsig":
      return prctlHint(f.errno, `the parent-death signal ${signalName(op.signal)}`, "a signal it does not know");
    case "chdir":
      return `the target user cannot enter ${quote(op.dir)} (${workdirHint(f.errno)})`;
    case "nnp":
      return `${prctlHint(f.errno, "no_new_privs", "Linux < 3.5")}; accept with ${say.option("allowDegraded", "nnp")}`;
    case "seccomp":
      return `${seccompWhy(op, f)}; the workload would run without the "${op.filter.profile}" filter — accept with ${say.option("allowDegraded", "seccomp")}`;
    case "writeReport":
      return "cannot write the report (nothing was executed)";
    case "resetSignals":
      return "cannot reset signal dispositions";
    default:
      return "unexpected error";
  }
}

const listOf = listText;

function boundingCause(extra: { cap?: number; residual?: CapMask }, _say: Vocabulary): string {
  const residual = extra.residual ?? 0n;
  return `cannot drop ${extra.cap === undefined ? "a capability" : capName(extra.cap)} from the bounding set (CAP_SETPCAP unavailable or an LSM/seccomp filter refuses PR_CAPBSET_DROP (rootless Podman / AppArmor?)); ` +
    `residual CapBnd=${toHex(residual)} (${capList(residual)})`;
}

const landlockWhy = (f: SysFailure) =>
  f.errno.name === "EPERM" && f.call === "landlock_restrict_self" ? "restrict_self needs no_new_privs (or CAP_SYS_ADMIN), or an outer seccomp filter or LSM refuses it"
  : f.errno.name === "ENOSYS" || f.errno.name === "EOPNOTSUPP" ? "the kernel has no Landlock, or an outer seccomp filter hides it"
  : f.errno.name === "EINVAL" ? "the kernel refuses the ruleset or a rule (a right it does not know, or one that does not apply to the file)"
  : "an outer seccomp filter or LSM refuses it";

const seccompWhy = (op: Extract<Op, { kind: "seccomp" }>, f: SysFailure) => seccompHint(f.errno, op.filter.flags);

/** A degradation met while running: the reason, named for the report and the OCSF finding. */
export function degradationOf(op: Op, f: SysFailure, extra: { cap?: number; residual?: CapMask; limit?: string }, say: Vocabulary): Degraded {
  switch (op.kind) {
    case "setgroups":
      return { name: "groups", reason: `${describe(f)}: ${groupsHint(f.errno)}; the inherited groups ${groupsText(op.inherited)} stay instead of ${listOf(op.groups)}` };
    case "capbsetDrop":
      return { name: "bounding", reason: `${describe(f)}: ${boundingCause(extra, say)}; running with the residual set (${say.option("allowDegraded", "bounding")})` };
    case "nnp":
      return { name: "nnp", reason: `${describe(f)}: ${prctlHint(f.errno, "no_new_privs", "Linux < 3.5")}` };
    case "seccomp":
      return { name: "seccomp", reason: `${describe(f)}: ${seccompWhy(op, f)}; running without the "${op.filter.profile}" filter (${say.option("allowDegraded", "seccomp")})` };
    case "landlock":
      return { name: "landlock", reason: `${describe(f)}: ${landlockWhy(f)}; running without the Landlock ruleset, no right enforced (${say.option("allowDegraded", "landlock")})` };
    default:
      throw new Error(`${op.kind} does not degrade`);
  }
}

const OP_FINDING: Partial<Record<Op["kind"], string>> = {
  setgroups: DEGRADATION_FINDING.groups,
  capbsetDrop: DEGRADATION_FINDING.bounding,
  nnp: DEGRADATION_FINDING.nnp,
  seccomp: DEGRADATION_FINDING.seccomp,
  landlock: DEGRADATION_FINDING.landlock,
};

/** A failure after the first change, as one line: its step (exit code), message and finding id. */
export function failureLine(f: Failure, say: Vocabulary, targetUid: number): Line {
  switch (f.kind) {
    case "call": {
      const step = STEP_OF[f.op.kind];
      return { step, message: `${describe(f.failure)}: ${cause(f.op, f.failure, f, say)}`, finding: OP_FINDING[f.op.kind] ?? findingOf(step) };
    }
    case "verify":
      return { step: "verify", message: f.op.kind === "verify" ? `state differs from the plan, not executing: ${f.problems.join("; ")}` : f.problems.join("; "), finding: "stepdown-verify-failed" };
    case "lookup":
      return { step: lookupStep(f.lookup), message: describeLookup(f.lookup), finding: "stepdown-command-unavailable" };
    case "exec": {
      const step = f.failure.errno.name === "ENOENT" ? "notFound" : f.failure.errno.name === "EACCES" ? "notExecutable" : "exec";
      return { step, message: `${describe(f.failure)}: ${execHint(f.failure.errno, targetUid)}`, finding: "stepdown-exec-failed" };
    }
    case "internal":
      return { step: "internal", message: f.message, finding: findingOf("internal") };
  }
}

export function lookupStep(l: Extract<Failure, { kind: "lookup" }>["lookup"]): Step {
  return l.kind === "not-found" || (l.kind === "unreachable" && l.errno.name === "ENOENT") ? "notFound" : "notExecutable";
}
