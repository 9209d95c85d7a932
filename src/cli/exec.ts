// `sbx exec [OPTIONS] -- COMMAND [ARGS…]`: plan, step down, verify, execve in place. Its own exit
// codes (stepdown/exitCodes.ts) and voice: every message is one synchronous line on fd 2,
// "sbx exec: STEP: …", plus an OCSF line under --log-format ocsf.
import type { Environment } from "../identity/env.ts";
import { IdentityError } from "../identity/errors.ts";
import { describeLookup } from "../identity/lookPath.ts";
import { EXEC_RULES } from "../identity/resolve.ts";
import { UserDbError } from "../identity/userdb.ts";
import { EXEC_OPTIONS, type ExecOptions, type ExecValues, execOptions } from "../options/exec.ts";
import { flagName, parseValues, type RawValues, UsageError } from "../options/option.ts";
import { tokenize } from "../options/tokenize.ts";
import { type Line, failureLine, findingOf, lookupStep } from "../render/messages.ts";
import { detectionFinding, type Finding } from "../render/ocsf.ts";
import type { Degraded } from "../stepdown/degrade.ts";
import { DEGRADATION_FINDING } from "../stepdown/degrade.ts";
import { STEP_EXIT } from "../stepdown/exitCodes.ts";
import { realKernel } from "../stepdown/kernel.ts";
import type { Vocabulary } from "../stepdown/plan.ts";
import { prepare } from "../stepdown/prepare.ts";
import { LookupRefusal, Refusal } from "../stepdown/refusal.ts";
import { type Failure, runStepDown } from "../stepdown/run.ts";
import { exit, writeStderr, writeText } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import type { ByteString } from "../text/bytes.ts";
import { mark } from "../phases.ts";
import { command } from "./command.ts";

export const EXEC_SAY: Vocabulary = {
  option: (key, value) => `--${flagName(key)}${value === undefined ? "" : ` ${value}`}`,
  keepNnp: "drop --allow-new-privs",
};

/** How `sbx exec` speaks: one line on fd 2 per refusal, failure, degradation or warning. */
export class ExecVoice {
  constructor(private readonly ocsf: boolean) {}

  private finding(f: Finding): void {
    if (this.ocsf) writeStderr(detectionFinding(f));
  }

  /** One line, then exit with the step's code. */
  line(l: Line): never {
    const label = l.step === "notFound" || l.step === "notExecutable" ? "exec" : l.step;
    const text = `${label}: ${l.message}`;
    writeStderr(`sbx exec: ${text}`);
    this.finding({ uid: l.finding, title: "sbx refused to run the workload", desc: text, severity: "high" });
    return exit(STEP_EXIT[l.step]);
  }

  /** Before any change: a refusal, or bad input. */
  refuse(e: unknown): never {
    if (e instanceof Refusal) return this.line({ step: e.step, message: e.message, finding: e.findingUid ?? findingOf(e.step) });
    if (e instanceof LookupRefusal) return this.line({ step: lookupStep(e.lookup), message: describeLookup(e.lookup), finding: "stepdown-command-unavailable" });
    if (e instanceof UsageError || e instanceof IdentityError || e instanceof UserDbError) return this.line({ step: "usage", message: e.message, finding: findingOf("usage") });
    throw e;
  }

  degraded(d: Degraded): void {
    writeStderr(`sbx exec: warning: running DEGRADED (${d.name}): ${d.reason}`);
    this.finding({ uid: DEGRADATION_FINDING[d.name], title: `sbx runs the workload degraded: ${d.name}`, desc: d.reason, severity: "medium" });
  }

  warn(text: string): void {
    writeStderr(`sbx exec: warning: ${text}`);
  }

  /** A fact worth recording that weakens nothing (an inert bounding set): OCSF only, informational. */
  note(uid: string, text: string): void {
    this.finding({ uid, title: "sbx runs the workload with a kept, inert bounding set", desc: text, severity: "informational" });
  }
}

/** --log-format as far as the command line was read: never from the workload's words. */
const ocsfOf = (raw: RawValues | undefined) => {
  const v = raw?.get("logFormat");
  return v !== undefined && v !== true && v[0] === "ocsf";
};

const shown = (k: string) => `--${flagName(k)}`;

/** sbx exec's words → its options, or null for --help. */
export function parseExecWords(words: readonly ByteString[]): ExecOptions | null {
  const t = tokenize(words, EXEC_OPTIONS, { mode: "optionsFirst", path: "sbx exec" });
  if (t.help) return null;
  try {
    const values: ExecValues = { boundingSet: "-all", ...parseValues(EXEC_OPTIONS, t.raw, shown) };
    return execOptions(values, t.rest, !values.allowNewPrivs, shown);
  } catch (e) {
    if (e instanceof UsageError) e.partial = t.raw;
    throw e;
  }
}

async function runExec(words: readonly ByteString[], env: Environment): Promise<void> {
  mark("loaded");
  let o: ExecOptions;
  try {
    const parsed = parseExecWords(words);
    mark("parsed");
    if (parsed === null) {
      const { helpText } = await import("./help.ts");
      const text = await helpText(execCommand, "sbx exec", { noColor: env.get("NO_COLOR") !== undefined });
      if (!writeText(1, text).ok) exit(STEP_EXIT.report);
      return exit(0);
    }
    o = parsed;
  } catch (e) {
    return new ExecVoice(ocsfOf(e instanceof UsageError ? e.partial : undefined)).refuse(e);
  }
  const voice = new ExecVoice(o.logFormat === "ocsf");
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(o, env, { say: EXEC_SAY, rules: EXEC_RULES });
  } catch (e) {
    return voice.refuse(e);
  }
  const { plan, facts, statusFd, execPath } = prepared;
  for (const w of plan.seccomp?.warnings ?? []) voice.warn(`--seccomp ${plan.seccomp!.profile}: ${w}`);
  if (o.dryRun) {
    const { formatPlan } = await import("../render/dryRun.ts");
    const out = writeText(1, formatPlan(plan, execPath));
    if (!out.ok) return voice.line({ step: "report", message: `cannot write the plan: ${describe(out)}`, finding: findingOf("report") });
    for (const d of plan.degraded) voice.warn(`would run DEGRADED (${d.name}): ${d.reason}`);
    return exit(0);
  }
  if (plan.boundingInert) voice.note("bounding-set-inert", plan.boundingInert);
  // The report module (and its valibot schemas) loads only when a report was asked for.
  const report = plan.ops.some((op) => op.kind === "renderReport") ? (await import("../render/report.ts")).buildReport : null;
  const encoder = new TextEncoder();
  mark("ready");
  const targetUid = plan.identity ? plan.identity.uid : facts.state.uid.effective;
  return runStepDown(
    plan,
    realKernel(plan.lastCap, statusFd),
    {
      degraded: (d) => voice.degraded(d),
      report: (p, ran, degraded, state, path, observed) => encoder.encode(JSON.stringify(report!(o, p, ran, degraded, state, path, observed)) + "\n"),
    },
    (f: Failure) => voice.line(failureLine(f, EXEC_SAY, targetUid)),
  );
}

export const execCommand = command({
  name: "exec",
  description: "Step down to a user and capability set in one verified, fail-closed exec: sbx exec [OPTIONS] -- COMMAND [ARGS…]",
  options: EXEC_OPTIONS,
  positionals: [{ name: "command", description: "The workload and its arguments (after --, or after the last option)", variadic: true }],
  synopsis: "[OPTIONS] -- COMMAND [ARGS…]",
  examples: ["sbx exec --user app -- node server.js", "sbx exec --user app --seccomp default --report /run/sbx.json -- app", "sbx exec --user app --dry-run -- true"],
  run() {},
  runWords: runExec,
});
