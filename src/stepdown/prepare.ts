// Everything before the first change, shared by `sbx exec` and gosu mode: preflight, identity from
// /etc/passwd and /etc/group, the workload's environment, an early look for the command, the
// seccomp filter, the report fd, and the plan. Throws Refusal, LookupRefusal, UsageError,
// IdentityError or UserDbError (each front end words them itself). Asynchronous only to import the
// seccomp unit when a filter is asked for; everything still runs on the thread that execs.
import { Environment, workloadEnv } from "../identity/env.ts";
import { lookPath } from "../identity/lookPath.ts";
import { probeFile } from "../identity/probeFile.ts";
import { type IdentityRules, parseGroupsPolicy, type ResolvedUser, resolveUser } from "../identity/resolve.ts";
import { parseUserSpec } from "../identity/spec.ts";
import { readUserDb } from "../identity/userdb.ts";
import type { ExecOptions } from "../options/exec.ts";
import { mark } from "../phases.ts";
import { moveCloexecAbove } from "../sys/fd.ts";
import { openOutputFile } from "../sys/outputFile.ts";
import { isOpen, setNonblock } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import { toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { type CallerFacts, keptFds, type PlanInput, planStepDown, type StepDownPlan, type Vocabulary, type Workload } from "./plan.ts";
import { preflight } from "./preflight.ts";
import { LookupRefusal, Refusal } from "./refusal.ts";
import { type SeccompRequest, workloadCaps } from "./seccomp/types.ts";
import { prepareLandlock } from "./landlock/prepare.ts";
import type { LimitFacts } from "./limits.ts";
import { readSmallFile } from "../sys/file.ts";
import { getRlimit } from "../sys/rlimit.ts";
import { ociName } from "../limits/rlimit.ts";

export interface Prepared {
  plan: StepDownPlan;
  facts: CallerFacts;
  statusFd: number;
  /** Where the command was found, as the caller (looked up again after the switch). */
  execPath: string;
}

export interface Front {
  /** How this front end names options in messages. */
  say: Vocabulary;
  /** Where sbx exec and gosu mode resolve identities differently. */
  rules: IdentityRules;
}

function identityOf(o: ExecOptions, facts: CallerFacts, front: Front, say: Vocabulary): ResolvedUser | null {
  if (o.user === undefined) {
    if (o.groups !== undefined) throw new Refusal("usage", `${say.option("groups")} needs ${say.option("user")} (without it the identity, groups included, stays as it is)`);
    return null;
  }
  const spec = parseUserSpec(o.user);
  const groups = o.groups === undefined ? undefined : parseGroupsPolicy(o.groups);
  return resolveUser(spec, readUserDb(), { ...(groups ? { groups } : {}), currentGroups: facts.state.groups, rules: front.rules, callerGid: facts.state.gid.real });
}

function envOf(o: ExecOptions, env: Environment, identity: ResolvedUser | null, facts: CallerFacts, front: Front): Environment {
  // --reset-env without --user describes the current user (setpriv does the same).
  const who = identity ?? (o.resetEnv ? resolveUser(parseUserSpec(String(facts.state.uid.effective)), readUserDb(), { groups: { kind: "keep" }, currentGroups: facts.state.groups, rules: { ...front.rules, bareUid: "caller-gid" }, callerGid: facts.state.gid.real }) : null);
  return workloadEnv(env, who, { resetEnv: o.resetEnv, set: o.env ?? [] });
}

/**
 * The report fd: --report-fd as given (made non-blocking, so a reader that does not read cannot
 * hold sbx before exec; its flags are restored after the write), or --report FILE opened by the
 * rules of sys/outputFile.ts. Close-on-exec, above every fd the workload keeps.
 */
function openReport(o: ExecOptions, keep: number, owner: number, say: Vocabulary): { fd: number; to: string; restoreFlags: number | null } | null {
  if (o.reportFd !== undefined) {
    if (!isOpen(o.reportFd)) throw new Refusal("usage", `${say.option("reportFd", String(o.reportFd))}: fd ${o.reportFd} is not open`);
    if (o.reportFd < 3 + keep) throw new Refusal("usage", `${say.option("reportFd", String(o.reportFd))}: fd ${o.reportFd} is one of the fds the workload keeps (3-${2 + keep})`);
    const flags = setNonblock(o.reportFd, true);
    if (!flags.ok) throw new Refusal("report", `cannot make the report fd non-blocking: ${describe(flags)}`);
    return { fd: o.reportFd, to: `fd ${o.reportFd}`, restoreFlags: flags.value };
  }
  if (o.report === undefined) return null;
  const opened = openOutputFile(o.report, owner);
  if (!opened.ok) throw new Refusal("report", `cannot open ${say.option("report")} ${quote(o.report)}: ${opened.reason}`);
  const moved = moveCloexecAbove(opened.fd, 3 + keep);
  if (!moved.ok) throw new Refusal("report", `cannot move the report fd: ${describe(moved)}`);
  return { fd: moved.value, to: quote(o.report), restoreFlags: null };
}

/** The current limits of the resources --rlimit names, and fs.nr_open. */
function limitFacts(o: ExecOptions): LimitFacts {
  const current = new Map<number, { soft: bigint; hard: bigint }>();
  for (const r of o.rlimit!) {
    const got = getRlimit(r.resource);
    if (!got.ok) throw new Refusal("rlimits", `cannot read the current ${ociName(r.name)}: ${describe(got)}`);
    current.set(r.resource, got.value);
  }
  const nr = readSmallFile("/proc/sys/fs/nr_open");
  return { current, nrOpen: nr.ok && /^\d+\n?$/.test(nr.value) ? Number(nr.value) : null };
}

export async function prepare(o: ExecOptions, env: Environment, front: Front): Promise<Prepared> {
  const { say } = front;
  const { facts, statusFd } = preflight(env, o.preserveFds ?? 0, say);
  mark("preflight");
  const identity = identityOf(o, facts, front, say);
  mark("users");
  const workEnv = envOf(o, env, identity, facts, front);
  const command = o.argv[0]!;
  const path = workEnv.get("PATH") ?? "";
  const workload: Workload = { command, argv: o.argv, env: workEnv.toBlock(), path };
  // Early look as the caller, so a missing command changes nothing. A relative path with
  // --workdir is only meaningful after the chdir, so that one is left to the second look.
  let execPath = command;
  if (!(o.workdir !== undefined && command.includes("/") && !command.startsWith("/"))) {
    const found = lookPath(command, path, probeFile);
    if (found.kind !== "found") throw new LookupRefusal(found);
    execPath = found.path;
  }
  const landlock = o.landlockAccess?.length ? prepareLandlock(o, keptFds(facts, o), execPath.startsWith("/") ? execPath : null, (t) => say.option("landlockRule", t)) : null;
  const limits = o.rlimit?.length ? limitFacts(o) : null;
  const input: PlanInput = { options: o, facts, identity, workload, fds: { status: statusFd, report: null }, seccomp: null, say, landlock, limits };
  // Everything the plan refuses, it refuses here, before a report file is created.
  const draft = planStepDown(input);
  mark("planned");
  // A dry run opens nothing: its plan shows the report's steps with the fd to be opened.
  const asked = o.report !== undefined ? quote(o.report) : o.reportFd !== undefined ? `fd ${o.reportFd}` : null;
  const report = o.dryRun ? (asked === null ? null : { fd: -1, to: asked, restoreFlags: null }) : openReport(o, keptFds(facts, o), facts.state.uid.effective, say);
  // The filter is built for the capabilities the workload ends with, which the plan decides (and
  // a filter changes none of them), so it is planned again with the filter.
  let seccomp: SeccompRequest | null = null;
  if (o.seccomp !== undefined) {
    const { requestSeccomp } = await import("./seccomp/prepare.ts");
    seccomp = await requestSeccomp({
      spec: toText(o.seccomp),
      lenient: o.seccompLenient ?? false,
      caps: workloadCaps(draft.predicted),
      // A dry run opens no report, so it does not check that write.
      fds: { status: statusFd, report: o.dryRun ? null : report?.fd ?? null, restoresFlags: report !== null && report.restoreFlags !== null },
      shown: say.option("seccomp"),
      landlock: (o.landlockAccess?.length ?? 0) > 0,
    });
  }
  mark("seccomp-ready");
  // Without a report and a filter the input is the draft's: planning is pure, so that is the plan.
  const plan = report === null && seccomp === null ? draft : planStepDown({ ...input, fds: { status: statusFd, report }, seccomp });
  return { plan, facts, statusFd, execPath: toText(execPath) };
}
