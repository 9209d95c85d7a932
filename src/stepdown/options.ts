// `sbx exec` options: the raw values from the command line, validated into ExecOptions.
// Everything here is pure; anything that needs the kernel (cap names vs. its last cap) or the
// image's files (user names) is checked by the planner, still before any change.
import * as v from "valibot";
import { type Degradation, DegradeListError, parseDegradations } from "./degrade.ts";
import { parseSignal } from "./signals.ts";

export class UsageError extends Error {}

export interface ExecOptions {
  user: string | null;
  groups: string | null;
  /** setpriv-style edits of the bounding set; null leaves it unchanged (gosu mode). */
  boundingSet: string | null;
  caps: string | null;
  inhCaps: string | null;
  ambientCaps: string | null;
  securebits: string | null;
  noNewPrivs: boolean;
  resetEnv: boolean;
  env: Array<[string, string]>;
  workdir: string | null;
  newSession: boolean;
  pdeathsig: number;
  preserveFds: number;
  allowDegraded: Set<Degradation>;
  /** A built-in profile name, a .json profile or a .bpf program; null: no filter. */
  seccomp: string | null;
  /** Skip syscall names no architecture has (with a warning) instead of refusing the profile. */
  seccompLenient: boolean;
  dryRun: boolean;
  report: { file: string } | { fd: number } | null;
  logFormat: "text" | "ocsf";
  argv: string[];
}

/** The raw shape util.parseArgs produces for our option table. */
export interface RawExecArgs {
  user?: string;
  groups?: string;
  "bounding-set"?: string;
  caps?: string;
  "inh-caps"?: string;
  "ambient-caps"?: string;
  securebits?: string;
  "no-new-privs"?: boolean;
  "allow-new-privs"?: boolean;
  "reset-env"?: boolean;
  env?: string[];
  workdir?: string;
  "new-session"?: boolean;
  pdeathsig?: string;
  "preserve-fds"?: string;
  "allow-degraded"?: string;
  seccomp?: string;
  "seccomp-lenient"?: boolean;
  "dry-run"?: boolean;
  report?: string;
  "report-fd"?: string;
  "log-format"?: string;
}

const nonEmpty = (name: string) => v.pipe(v.string(), v.nonEmpty(`--${name} needs a value`));

/** A decimal count or fd number: the whole text must be digits (no "3x", "-1", "0x3"). */
const count = (name: string, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,9}$/, `--${name} needs a number`),
    v.transform(Number),
    v.maxValue(max, `--${name} is at most ${max}`),
  );

const EnvPair = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z_][A-Za-z0-9_]*=/s, "--env needs NAME=VALUE with a valid variable name"),
  v.transform((s): [string, string] => {
    const i = s.indexOf("=");
    return [s.slice(0, i), s.slice(i + 1)];
  }),
);

const RawSchema = v.object({
  // An empty --user (an unset $APP_USER) reaches the user-spec parser, which says why it is refused.
  user: v.optional(v.string()),
  groups: v.optional(nonEmpty("groups")),
  "bounding-set": v.optional(nonEmpty("bounding-set")),
  caps: v.optional(v.string()),
  "inh-caps": v.optional(nonEmpty("inh-caps")),
  "ambient-caps": v.optional(nonEmpty("ambient-caps")),
  securebits: v.optional(nonEmpty("securebits")),
  "no-new-privs": v.optional(v.boolean()),
  "allow-new-privs": v.optional(v.boolean()),
  "reset-env": v.optional(v.boolean()),
  env: v.optional(v.array(EnvPair)),
  workdir: v.optional(nonEmpty("workdir")),
  "new-session": v.optional(v.boolean()),
  pdeathsig: v.optional(nonEmpty("pdeathsig")),
  "preserve-fds": v.optional(count("preserve-fds", 65536)),
  "allow-degraded": v.optional(nonEmpty("allow-degraded")),
  seccomp: v.optional(nonEmpty("seccomp")),
  "seccomp-lenient": v.optional(v.boolean()),
  "dry-run": v.optional(v.boolean()),
  report: v.optional(nonEmpty("report")),
  "report-fd": v.optional(count("report-fd", 2 ** 31 - 1)),
  "log-format": v.optional(
    v.picklist(["text", "ocsf"], "--log-format must be text or ocsf"),
  ),
});

export function parseExecOptions(raw: RawExecArgs, argv: string[]): ExecOptions {
  const r = v.safeParse(RawSchema, raw);
  if (!r.success) throw new UsageError(r.issues[0]!.message);
  const o = r.output;
  if (o["no-new-privs"] && o["allow-new-privs"]) {
    throw new UsageError("--no-new-privs and --allow-new-privs contradict each other");
  }
  if (o["seccomp-lenient"] && o.seccomp === undefined) {
    throw new UsageError("--seccomp-lenient needs --seccomp PROFILE");
  }
  if (o.report !== undefined && o["report-fd"] !== undefined) {
    throw new UsageError("--report and --report-fd: choose one");
  }
  if (o["report-fd"] !== undefined && o["report-fd"] <= 2) {
    throw new UsageError(`--report-fd ${o["report-fd"]}: fds 0-2 are the workload's stdio`);
  }
  let pdeathsig = 0;
  if (o.pdeathsig !== undefined) {
    const s = parseSignal(o.pdeathsig);
    if (s === undefined) throw new UsageError(`--pdeathsig: "${o.pdeathsig}" is not a signal (e.g. TERM, KILL, 15)`);
    pdeathsig = s;
  }
  let allowDegraded = new Set<Degradation>();
  if (o["allow-degraded"] !== undefined) {
    try {
      allowDegraded = parseDegradations(o["allow-degraded"]);
    } catch (e) {
      if (e instanceof DegradeListError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (argv.length === 0) {
    throw new UsageError("no command given: sbx exec [OPTIONS] -- COMMAND [ARGS…]");
  }
  if (argv[0] === "") throw new UsageError("the command is an empty string");
  return {
    user: o.user ?? null,
    groups: o.groups ?? null,
    boundingSet: o["bounding-set"] ?? "-all",
    caps: o.caps ?? null,
    inhCaps: o["inh-caps"] ?? null,
    ambientCaps: o["ambient-caps"] ?? null,
    securebits: o.securebits ?? null,
    noNewPrivs: !o["allow-new-privs"],
    resetEnv: o["reset-env"] ?? false,
    env: o.env ?? [],
    workdir: o.workdir ?? null,
    newSession: o["new-session"] ?? false,
    pdeathsig,
    preserveFds: o["preserve-fds"] ?? 0,
    allowDegraded,
    seccomp: o.seccomp ?? null,
    seccompLenient: o["seccomp-lenient"] ?? false,
    dryRun: o["dry-run"] ?? false,
    report: o.report !== undefined ? { file: o.report } : o["report-fd"] !== undefined ? { fd: o["report-fd"] } : null,
    logFormat: o["log-format"] ?? "text",
    argv,
  };
}

