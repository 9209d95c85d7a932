// Everything before the first change, shared by `sbx exec` and gosu mode: preflight, identity
// from /etc/passwd and /etc/group, the workload's environment, an early look for the command,
// the seccomp filter, and the plan. Throws Refusal (or IdentityError/UserDbError, which each
// front end words itself). Asynchronous only to import the seccomp compiler when a filter is asked
// for (seccompFilter.ts, afterInstall.ts); everything still runs on the thread that execs.
import { openSync } from "node:fs";
import { moveCloexecAbove } from "../sys/fd.ts";
import { isOpen } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import { workloadEnv, toEnvp } from "../user/env.ts";
import { lookPath } from "../user/lookPath.ts";
import { parseGroupsPolicy, type ResolvedUser, resolveUser } from "../user/resolve.ts";
import { readUserDb } from "../user/passwd.ts";
import { parseUserSpec } from "../user/spec.ts";
import type { AfterInstall } from "./afterInstall.ts";
import { probeFile } from "./fileProbe.ts";
import type { ExecOptions } from "./options.ts";
import { type CallerFacts, type PlanInput, planStepDown } from "./plan.ts";
import { preflight } from "./preflight.ts";
import { LookupRefusal, Refusal } from "./refusal.ts";
import type { StepDownPlan, Workload } from "./types.ts";

export interface Prepared {
  plan: StepDownPlan;
  facts: CallerFacts;
  /** Where the command was found, as the caller (looked up again after the switch). */
  execPath: string;
  /** Open, close-on-exec fd for the report, above every fd the workload keeps. */
  reportFd: number | null;
  /** What sbx's own calls after the seccomp install do under the filter; null without an install. */
  afterInstall: AfterInstall | null;
}

type Env = Readonly<Record<string, string | undefined>>;

function identityOf(o: ExecOptions, facts: CallerFacts): ResolvedUser | null {
  if (o.user === null) {
    if (o.groups !== null) throw new Refusal("usage", "--groups needs --user (without --user the identity, groups included, stays as it is)");
    return null;
  }
  const spec = parseUserSpec(o.user);
  const groups = o.groups === null ? undefined : parseGroupsPolicy(o.groups);
  return resolveUser(spec, readUserDb(), { ...(groups ? { groups } : {}), currentGroups: facts.state.groups });
}

function envOf(o: ExecOptions, env: Env, identity: ResolvedUser | null, facts: CallerFacts): string[] {
  const set = o.env.map(([name, value]) => ({ name, value }));
  if (identity || o.resetEnv) {
    // --reset-env without --user describes the current user (setpriv does the same).
    const who = identity ?? resolveUser(parseUserSpec(String(facts.state.uid.effective)), readUserDb(), { groups: { kind: "keep" }, currentGroups: facts.state.groups });
    return toEnvp(workloadEnv(env, who, { resetEnv: o.resetEnv, set }));
  }
  const out = new Map(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  for (const { name, value } of set) out.set(name, value);
  return toEnvp(out);
}

function openReport(o: ExecOptions, keepFds: number): number | null {
  if (!o.report) return null;
  if ("fd" in o.report) {
    if (!isOpen(o.report.fd)) throw new Refusal("usage", `--report-fd ${o.report.fd}: fd ${o.report.fd} is not open`);
    return o.report.fd;
  }
  let fd: number;
  try {
    fd = openSync(o.report.file, "w", 0o600);
  } catch (e) {
    throw new Refusal("report", `cannot open --report ${o.report.file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const moved = moveCloexecAbove(fd, 3 + keepFds);
  if (!moved.ok) throw new Refusal("report", `cannot move the report fd: ${describe(moved)}`);
  return moved.value;
}

/**
 * /proc/thread-self/status, opened now (close-on-exec, above the kept fds) so that verifying the
 * filter after its install takes one pread64 of a known fd; null without procfs.
 */
function openStatus(keepFds: number): number | null {
  let fd: number;
  try {
    fd = openSync("/proc/thread-self/status", "r");
  } catch {
    return null;
  }
  const moved = moveCloexecAbove(fd, 3 + keepFds);
  if (!moved.ok) throw new Refusal("preflight", `cannot move the /proc/thread-self/status fd: ${describe(moved)}`);
  return moved.value;
}

export async function prepare(o: ExecOptions, env: Env): Promise<Prepared> {
  const facts = preflight();
  const identity = identityOf(o, facts);
  const envp = envOf(o, env, identity, facts);
  const command = o.argv[0]!;
  const path = envp.find((e) => e.startsWith("PATH="))?.slice(5) ?? "";
  const workload: Workload = { command, argv: o.argv, env: envp, path };
  // Early look as the caller, so a missing command changes nothing. A relative path with
  // --workdir is only meaningful after the chdir, so that one is left to the second look.
  let execPath = command;
  if (!(o.workdir && command.includes("/") && !command.startsWith("/"))) {
    const found = lookPath(command, path, probeFile);
    if (found.kind !== "found") throw new LookupRefusal(found);
    execPath = found.path;
  }
  const input: PlanInput = { options: o, facts, identity, workload, seccomp: null };
  const draft = planStepDown(input);
  // The filter is built for the capabilities the workload ends with, which the plan decides (and
  // a filter changes none of them), so it is planned again with the filter.
  const seccomp = o.seccomp === null ? null : await (await import("./seccompFilter.ts")).requestSeccomp(o.seccomp, o.seccompLenient, draft.predicted);
  const plan = seccomp === null ? draft : planStepDown({ ...input, seccomp });
  const install = plan.seccomp?.install ? plan.seccomp : null;
  const statusFd = install ? openStatus(plan.keepFds) : null;
  const reportFd = o.dryRun ? null : openReport(o, plan.keepFds);
  // With the fds known; a dry run opens no report, so its write is not among the calls checked.
  const afterInstall = install ? (await import("./afterInstall.ts")).expectAfterInstall(install, { status: statusFd, report: reportFd }) : null;
  return { plan, facts, execPath, reportFd, afterInstall };
}
