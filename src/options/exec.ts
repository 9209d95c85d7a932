// `sbx exec`'s options: the one definition of each. The --help text, the tokenizer's grammar, the
// value schemas, the report's `asked` and gosu mode's SBX_* variables all come from this table.
import { DEGRADATIONS, type Degradation } from "../stepdown/degrade.ts";
import { parseSignal } from "../sys/signals.ts";
import { type ByteString, toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { anyText, choice, count, nonEmpty, type OptionTable, type OptionValues, parsedBy, UsageError } from "./option.ts";

/** `--env NAME=VALUE`: a valid variable name, then the first "=". */
const envPair = parsedBy((text, shown): readonly [ByteString, ByteString] => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/s.test(text)) throw new UsageError(`${shown} needs NAME=VALUE with a valid variable name, not ${quote(text)}`);
  const i = text.indexOf("=");
  return [text.slice(0, i), text.slice(i + 1)] as const;
});

const signal = parsedBy((text, shown) => {
  const s = parseSignal(text);
  if (s === undefined) throw new UsageError(`${shown}: ${quote(text)} is not a signal (e.g. TERM, KILL, 15)`);
  return s;
});

const degradations = parsedBy((text, shown): ReadonlySet<Degradation> => {
  const out = new Set<Degradation>();
  for (const raw of text.split(",").map((s) => s.trim().toLowerCase())) {
    if (!(DEGRADATIONS as readonly string[]).includes(raw)) throw new UsageError(`${shown}: unknown name ${quote(raw)} (valid: ${DEGRADATIONS.join(", ")})`);
    out.add(raw as Degradation);
  }
  return out;
});

export const EXEC_OPTIONS = {
  // An empty --user (an unset $APP_USER) reaches the user-spec parser, which says why it is refused.
  user: { short: "u", value: "USER[:GROUP]", schema: anyText, report: "user", help: "Switch to USER[:GROUP] (names from /etc/passwd and /etc/group, or numbers)" },
  groups: { value: "POLICY", schema: nonEmpty, report: "groups", help: "Supplementary groups: init, clear, keep or a comma list (default: gosu's rule)" },
  boundingSet: { value: "SPEC", schema: nonEmpty, report: "bounding_set", env: "SBX_BOUNDING_SET", help: "Bounding set edits in setpriv syntax (default -all; gosu mode: unchanged)" },
  caps: { value: "LIST", schema: anyText, report: "caps", env: "SBX_CAPS", help: "Caps the workload keeps: inheritable + ambient, and in the bounding set" },
  inhCaps: { value: "SPEC", schema: nonEmpty, report: "inh_caps", help: "Inheritable set edits, from empty (setpriv syntax)" },
  ambientCaps: { value: "SPEC", schema: nonEmpty, report: "ambient_caps", help: "Ambient set edits, from empty (setpriv syntax); failure to raise is fatal" },
  securebits: { value: "SPEC", schema: nonEmpty, report: "securebits", help: "Securebits edits, e.g. +noroot,+noroot_locked" },
  noNewPrivs: { env: "SBX_NO_NEW_PRIVS", help: "Set no_new_privs (the default; gosu mode: SBX_NO_NEW_PRIVS=1, or implied by SBX_SECCOMP)" },
  allowNewPrivs: { help: "Do not set no_new_privs" },
  resetEnv: { help: "Clear the environment like setpriv --reset-env" },
  env: { value: "NAME=VALUE", schema: envPair, repeatable: true, help: "Set NAME=VALUE in the workload's environment (repeatable)" },
  workdir: { value: "DIR", schema: nonEmpty, help: "chdir here as the target user" },
  newSession: { help: "setsid() before exec" },
  pdeathsig: { value: "SIG", schema: signal, help: "Signal the workload gets when its parent dies" },
  preserveFds: { value: "N", schema: count(65536), report: "preserve_fds", reportAs: "count", env: "SBX_PRESERVE_FDS", help: "Keep the caller's fds 3..N+2 (after LISTEN_FDS), like runc; each must be one the caller passed" },
  allowDegraded: { value: "LIST", schema: degradations, report: "allow_degraded", reportAs: "degradations", env: "SBX_ALLOW_DEGRADED", help: "Run weaker only in these named ways: bounding, groups, nnp, seccomp" },
  seccomp: { value: "PROFILE", schema: nonEmpty, report: "seccomp", env: "SBX_SECCOMP", help: "Install this seccomp filter last, right before execve: a built-in (default, sandbox), FILE.json or FILE.bpf" },
  seccompLenient: { report: "seccomp_lenient", help: "Skip syscall names no architecture has, with a warning, instead of refusing the profile" },
  dryRun: { help: "Print the plan and the predicted final state; change nothing" },
  report: { value: "FILE", schema: nonEmpty, help: "Write the JSON report here just before exec (created 0600; no links followed)" },
  reportFd: { value: "N", schema: count(2 ** 31 - 1), help: "Write the JSON report to this open fd just before exec" },
  logFormat: { value: "FORMAT", schema: choice(["text", "ocsf"] as const), env: "SBX_LOG_FORMAT", help: "text (default) or ocsf: also emit OCSF Detection Finding lines on stderr" },
} as const satisfies OptionTable;

export type ExecValues = OptionValues<typeof EXEC_OPTIONS>;

/** What the step-down is asked to do: the values as given, plus the few decisions derived from them. */
export interface ExecOptions extends ExecValues {
  /** Set no_new_privs (exec: unless --allow-new-privs; gosu mode: SBX_NO_NEW_PRIVS, or implied by SBX_SECCOMP). */
  nnp: boolean;
  /** The workload's argv: the command first. */
  argv: ByteString[];
}

/** The rules between options, the same for both front ends; `shown` names an option as its front end does. */
export function checkCombinations(o: ExecValues, argv: readonly ByteString[], shown: (key: keyof ExecValues) => string): void {
  if (o.noNewPrivs && o.allowNewPrivs) throw new UsageError(`${shown("noNewPrivs")} and ${shown("allowNewPrivs")} contradict each other`);
  if (o.seccompLenient && o.seccomp === undefined) throw new UsageError(`${shown("seccompLenient")} needs ${shown("seccomp")} PROFILE`);
  if (o.report !== undefined && o.reportFd !== undefined) throw new UsageError(`${shown("report")} and ${shown("reportFd")}: choose one`);
  if (o.reportFd !== undefined && o.reportFd <= 2) throw new UsageError(`${shown("reportFd")} ${o.reportFd}: fds 0-2 are the workload's stdio`);
  if (argv.length === 0) throw new UsageError("no command given: sbx exec [OPTIONS] -- COMMAND [ARGS…]");
  if (argv[0] === "") throw new UsageError("the command is an empty string");
}

/** The request both front ends hand the step-down: defaults applied, combinations checked. */
export function execOptions(values: ExecValues, argv: ByteString[], nnp: boolean, shown: (key: keyof ExecValues) => string): ExecOptions {
  checkCombinations(values, argv, shown);
  return { allowDegraded: new Set(), ...values, nnp, argv };
}

const json = (value: unknown): unknown =>
  typeof value === "string" ? toText(value) : value instanceof Set ? [...value] : Array.isArray(value) ? value.map(json) : value;

/** The report's `asked`: every option with a report key (null, or false for a flag, when not given), as text. */
export function askedOf(o: ExecOptions): Record<string, unknown> {
  const asked: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(EXEC_OPTIONS)) {
    if (!("report" in def)) continue;
    const value = o[key as keyof ExecValues];
    asked[def.report] = value === undefined ? ("value" in def ? null : false) : json(value);
  }
  return { ...asked, no_new_privs: o.nnp, preserve_fds: o.preserveFds ?? 0, argv: json(o.argv) };
}

