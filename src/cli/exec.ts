// `sbx exec [OPTIONS] -- COMMAND [ARGS…]`: plan, step down, verify, execve in place.
// citty renders --help from EXEC_ARGS; the options are parsed again here with util.parseArgs in
// strict mode, because citty reads "--no-new-privs" as the negation of "new-privs".
import { parseArgs } from "node:util";
import { type ArgsDef, defineCommand } from "citty";
import { IdentityError } from "../user/errors.ts";
import { describeLookup, lookupExitCode } from "../user/lookPath.ts";
import { UserDbError } from "../user/passwd.ts";
import { EACCES, ENOENT } from "../sys/errno.ts";
import { exit, writeStderr } from "../sys/process.ts";
import { logger } from "./log.ts";
import { runStepDown } from "../stepdown/apply.ts";
import type { Degraded } from "../stepdown/degrade.ts";
import { STEP_EXIT } from "../stepdown/exitCodes.ts";
import { formatPlan } from "../stepdown/format.ts";
import { detectionFinding } from "../stepdown/ocsf.ts";
import { type ExecOptions, parseExecOptions, type RawExecArgs, UsageError } from "../stepdown/options.ts";
import { prepare } from "../stepdown/prepare.ts";
import { Refusal } from "../stepdown/refusal.ts";
import type { Failure, Voice } from "../stepdown/voice.ts";

const EXEC_ARGS = {
  user: { type: "string", alias: "u", description: "Switch to USER[:GROUP] (names from /etc/passwd and /etc/group, or numbers)", valueHint: "USER[:GROUP]" },
  groups: { type: "string", description: "Supplementary groups: init, clear, keep or a comma list (default: gosu's rule)", valueHint: "POLICY" },
  "bounding-set": { type: "string", description: "Bounding set edits in setpriv syntax (default -all)", valueHint: "SPEC" },
  caps: { type: "string", description: "Caps the workload keeps: inheritable + ambient, and in the bounding set", valueHint: "LIST" },
  "inh-caps": { type: "string", description: "Inheritable set edits, from empty (setpriv syntax)", valueHint: "SPEC" },
  "ambient-caps": { type: "string", description: "Ambient set edits, from empty (setpriv syntax); failure to raise is fatal", valueHint: "SPEC" },
  securebits: { type: "string", description: "Securebits edits, e.g. +noroot,+noroot_locked", valueHint: "SPEC" },
  "no-new-privs": { type: "boolean", description: "Set no_new_privs (the default)" },
  "allow-new-privs": { type: "boolean", description: "Do not set no_new_privs" },
  "reset-env": { type: "boolean", description: "Clear the environment like setpriv --reset-env" },
  env: { type: "string", description: "Set NAME=VALUE in the workload's environment (repeatable)", valueHint: "NAME=VALUE" },
  workdir: { type: "string", description: "chdir here as the target user", valueHint: "DIR" },
  "new-session": { type: "boolean", description: "setsid() before exec" },
  pdeathsig: { type: "string", description: "Signal the workload gets when its parent dies", valueHint: "SIG" },
  "preserve-fds": { type: "string", description: "Keep N fds after stdio (3..N+2), like runc; plus LISTEN_FDS", valueHint: "N" },
  "allow-degraded": { type: "string", description: "Run weaker only in these named ways: bounding, groups, nnp, seccomp", valueHint: "LIST" },
  seccomp: { type: "string", description: "Install this seccomp filter last, right before execve: a built-in (default, sandbox), FILE.json or FILE.bpf", valueHint: "PROFILE" },
  "seccomp-lenient": { type: "boolean", description: "Skip syscall names no architecture has, with a warning, instead of refusing the profile" },
  "dry-run": { type: "boolean", description: "Print the plan and the predicted final state; change nothing" },
  report: { type: "string", description: "Write the JSON report here just before exec", valueHint: "FILE" },
  "report-fd": { type: "string", description: "Write the JSON report to this open fd just before exec", valueHint: "N" },
  "log-format": { type: "string", description: "text (default) or ocsf: also emit OCSF Detection Finding lines on stderr", valueHint: "FORMAT" },
} as const satisfies ArgsDef;

const REPEATABLE = new Set(["env"]);

function optionDef(token: string): [string, ArgsDef[string]] | undefined {
  const name = token.replace(/^--?/, "").split("=")[0]!;
  return Object.entries(EXEC_ARGS as ArgsDef).find(([n, d]) => n === name || ("alias" in d && d.alias === name));
}

/**
 * Options before the first non-option or `--`; the rest is the workload's argv, untouched.
 * A value in the next word is joined as --name=value, so values like "-all" stay values.
 */
export function splitExecArgs(raw: readonly string[]): { options: string[]; argv: string[] } {
  const options: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") return { options, argv: raw.slice(i + 1) };
    if (!a.startsWith("-") || a === "-") return { options, argv: raw.slice(i) };
    const def = optionDef(a);
    if (def && def[1].type === "string" && !a.includes("=") && i + 1 < raw.length) options.push(`--${def[0]}=${raw[++i]}`);
    else options.push(a);
  }
  return { options, argv: [] };
}

/** --help/-h among sbx's own options (not the workload's). */
export function wantsHelp(raw: readonly string[]): boolean {
  return splitExecArgs(raw).options.some((a) => a === "--help" || a === "-h");
}

export function parseExecArgv(raw: readonly string[]): ExecOptions {
  const { options, argv } = splitExecArgs(raw);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: options,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.entries(EXEC_ARGS).map(([name, d]) => [
          name,
          { type: d.type, ...("alias" in d ? { short: d.alias } : {}), ...(REPEATABLE.has(name) ? { multiple: true } : {}) },
        ]),
      ),
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]!);
  }
  return parseExecOptions(values as RawExecArgs, argv);
}

// Made where a message is due, not at load: most runs print nothing, and making a consola
// instance costs about 0.1 ms of every start.
const log = () => logger("sbx exec");

function execVoice(o: Pick<ExecOptions, "logFormat">): Voice {
  const ocsf = o.logFormat === "ocsf";
  const emit = (level: "error" | "warn", line: string, finding: Parameters<typeof detectionFinding>[0]) => {
    log()[level](line);
    if (ocsf) writeStderr(detectionFinding(finding));
  };
  return {
    fail(f: Failure): never {
      const { code, line, uid } =
        f.kind === "step"
          ? { code: STEP_EXIT[f.step], line: `${f.step === "notFound" || f.step === "notExecutable" ? "exec" : f.step}: ${f.message}`, uid: f.findingUid ?? `stepdown-${f.step}-failed` }
          : f.kind === "lookup"
            ? { code: lookupExitCode(f.lookup), line: `exec: ${describeLookup(f.lookup)}`, uid: "stepdown-command-unavailable" }
            : { code: f.errno === ENOENT ? STEP_EXIT.notFound : f.errno === EACCES ? STEP_EXIT.notExecutable : STEP_EXIT.exec, line: `exec: ${f.message}`, uid: "stepdown-exec-failed" };
      emit("error", line, { uid, title: "sbx refused to run the workload", desc: line, severity: "high" });
      return exit(code);
    },
    degraded(d: Degraded) {
      emit("warn", `running DEGRADED (${d.name}): ${d.reason}`, { uid: d.findingUid, title: `sbx runs the workload degraded: ${d.name}`, desc: d.reason, severity: "medium" });
    },
  };
}

function refuse(o: Pick<ExecOptions, "logFormat">, e: unknown): never {
  const voice = execVoice(o);
  if (e instanceof Refusal) return voice.fail({ kind: "step", step: e.step, message: e.message, findingUid: e.findingUid, errno: null });
  if (e instanceof UsageError || e instanceof IdentityError || e instanceof UserDbError) {
    return voice.fail({ kind: "step", step: "usage", message: e.message, findingUid: null, errno: null });
  }
  throw e;
}

export async function runExec(raw: readonly string[]): Promise<never> {
  let o: ExecOptions;
  try {
    o = parseExecArgv(raw);
  } catch (e) {
    // --log-format may itself be what failed to parse: decide OCSF from the raw words.
    return refuse({ logFormat: raw.includes("ocsf") ? "ocsf" : "text" }, e);
  }
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(o, process.env);
  } catch (e) {
    return refuse(o, e);
  }
  const { plan, facts, execPath, reportFd, afterInstall } = prepared;
  for (const w of plan.seccomp?.warnings ?? []) log().warn(`--seccomp ${plan.seccomp!.profile}: ${w}`);
  if (o.dryRun) {
    process.stdout.write(formatPlan(plan, execPath));
    for (const d of plan.degraded) log().warn(`would run DEGRADED (${d.name}): ${d.reason}`);
    return exit(0);
  }
  // The report module (and its valibot schemas) loads only when a report was asked for.
  const report = reportFd === null ? null : { fd: reportFd, build: (await import("../stepdown/report.ts")).buildReport };
  return runStepDown({
    plan,
    before: facts.state,
    voice: execVoice(o),
    afterInstall,
    report: (final, applied, degraded, path) =>
      report === null ? null : { fd: report.fd, text: JSON.stringify(report.build(o, plan, applied, degraded, final, path)) + "\n" },
  });
}

export const execCommand = defineCommand({
  meta: {
    name: "exec",
    description: "Step down to a user and capability set in one verified, fail-closed exec: sbx exec [OPTIONS] -- COMMAND [ARGS…]",
  },
  args: EXEC_ARGS,
  async run({ rawArgs }) {
    await runExec(rawArgs);
  },
});
