// Seccomp profiles as people already write them: the OCI runtime-spec `linux.seccomp` object and
// Docker's superset of it (archMap, `name`, comment, includes/excludes). Validation only: every
// error names the JSON path and the offending value; nothing here knows syscall numbers.
import * as v from "valibot";
import { CAP_NAMES } from "../caps/names.ts";
import { MAX_ERRNO } from "./action.ts";
import { ERRNO_NUMBERS } from "./errno.ts";

const ACTION_NAMES = [
  "SCMP_ACT_KILL", // libseccomp's name for KILL_THREAD
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_LOG",
  "SCMP_ACT_ALLOW",
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

const OPERATORS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;
export type Operator = (typeof OPERATORS)[number];

// libseccomp's architecture tokens, as `architectures` and `archMap` spell them.
const SCMP_ARCHES = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
] as const;

// The architecture names Docker matches `includes.arches` / `excludes.arches` against (its map
// from Go's GOARCH to libseccomp's names, including its own "mips3l64n32" spelling).
const DOCKER_ARCHES = [
  "x86", "amd64", "x32", "arm", "arm64", "loong64", "loongarch64", "mips", "mipsle", "mips64", "mips64n32",
  "mipsel64", "mipsel64n32", "mips3l64n32", "ppc", "ppc64", "ppc64le", "riscv64", "s390", "s390x",
] as const;

// SECCOMP_FILTER_FLAG_* that only change how the filter is installed. NEW_LISTENER and
// WAIT_KILLABLE_RECV are for user notification, which sbx does not offer.
const FILTER_FLAGS = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
} as const;
type FlagName = keyof typeof FILTER_FLAGS;

const CAPABILITIES = CAP_NAMES.map((n) => `CAP_${n.toUpperCase()}`);
const U64_MAX = (1n << 64n) - 1n;
const DATA_MAX = 0xffff;

/** A profile that failed validation: one message per problem, each starting with its JSON path. */
export class ProfileError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(issues.length > 1 ? `${issues[0]} (and ${issues.length - 1} more)` : (issues[0] ?? "invalid profile"));
  }
}

/**
 * A JSON number that is not a plain integer (a fraction, an exponent, a sign), kept as written:
 * Go's unmarshalling into the integer fields runc, Docker and Podman use refuses it, and so does
 * every integer field here, showing it as it was written.
 */
export class JsonNumberText {
  constructor(readonly text: string) {}
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof JsonNumberText) return value.text;
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value, (_key, x) => (typeof x === "bigint" ? x.toString() : x)) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const expected = (what: string) => (issue: v.BaseIssue<unknown>) => `expected ${what}, got ${show(issue.input)}`;

/**
 * Object message: valibot reports a wrong type, a missing key and an unknown key through it (the
 * last one is finished in parseProfile, which can see the key's value).
 */
const objectIssue = (what: string) => (issue: v.BaseIssue<unknown>) => {
  if (issue.expected === "never") return "unknown field";
  return issue.expected === "Object" ? `expected ${what}, got ${show(issue.input)}` : "missing";
};

const integer = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  v.pipe(v.number(expected(what)), v.integer(expected(what)), v.minValue(min, expected(what)), v.maxValue(max, expected(what)));

/** JSON numbers are read exactly (see readProfileJson), so values above 2^53 arrive as bigint. */
const U64_WHAT = "an integer from 0 to 2^64-1";
const u64 = v.pipe(
  v.union([v.pipe(v.number(), v.integer(expected(U64_WHAT))), v.bigint()], expected(U64_WHAT)),
  v.transform((n) => BigInt(n)),
  v.check((n) => n >= 0n && n <= U64_MAX, expected(U64_WHAT)),
);

const actionName = v.pipe(
  v.string(expected('an action such as "SCMP_ACT_ERRNO"')),
  v.check(
    (s) => s !== "SCMP_ACT_NOTIFY",
    '"SCMP_ACT_NOTIFY" is refused: it hands each decision to a supervisor process, and sbx has none to answer it',
  ),
  v.picklist(ACTION_NAMES, (i) => `unknown action ${show(i.input)}`),
);

const operator = v.pipe(
  v.string(expected('an operator such as "SCMP_CMP_EQ"')),
  v.picklist(OPERATORS, (i) => `unknown operator ${show(i.input)}`),
);

const errnoName = v.pipe(
  v.string(expected('an errno name such as "EPERM"')),
  v.check((s) => Object.hasOwn(ERRNO_NUMBERS, s), (i) => `unknown errno name ${show(i.input)} (expected a name such as "EPERM")`),
);

const scmpArch = v.pipe(
  v.string(expected('an architecture such as "SCMP_ARCH_X86_64"')),
  v.picklist(SCMP_ARCHES, (i) => `unknown architecture ${show(i.input)}`),
);

const kernelVersion = v.pipe(
  v.string(expected('a kernel version "<major>.<minor>"')),
  v.regex(/^\d{1,3}\.\d{1,3}$/, (i) => `expected a kernel version "<major>.<minor>", got ${show(i.input)}`),
  v.transform((s): [number, number] => {
    const [major, minor] = s.split(".").map(Number);
    return [major!, minor!];
  }),
);

const ruleCondition = v.strictObject(
  {
    caps: v.optional(
      v.array(
        v.pipe(
          v.string(expected('a capability such as "CAP_SYS_ADMIN"')),
          v.picklist(CAPABILITIES, (i) => `unknown capability ${show(i.input)} (expected a name such as "CAP_SYS_ADMIN")`),
        ),
        expected("an array of capability names"),
      ),
    ),
    arches: v.optional(
      v.array(
        v.pipe(
          v.string(expected('an architecture such as "amd64"')),
          v.picklist(DOCKER_ARCHES, (i) => `unknown architecture ${show(i.input)} (Docker names them "amd64", "arm64", ...)`),
        ),
        expected("an array of architecture names"),
      ),
    ),
    minKernel: v.optional(kernelVersion),
  },
  objectIssue("an object with caps, arches or minKernel"),
);

const argument = v.strictObject(
  {
    index: integer(0, 5, "an argument index from 0 to 5"),
    value: u64,
    valueTwo: v.optional(u64, 0n),
    op: operator,
  },
  objectIssue("an argument comparison {index, value, op}"),
);

/** The issue path valibot would have built for `keys` under `root`, for checks across fields. */
function issuePath(root: object, keys: [string, ...(string | number)[]]): [v.IssuePathItem, ...v.IssuePathItem[]] {
  let input: unknown = root;
  const items = keys.map((key): v.IssuePathItem => {
    const container = input as Record<string | number, unknown>;
    const value = container?.[key];
    input = value;
    return typeof key === "number"
      ? { type: "array", origin: "value", input: container as unknown as unknown[], key, value }
      : { type: "object", origin: "value", input: container, key, value };
  });
  return items as [v.IssuePathItem, ...v.IssuePathItem[]];
}

const errnoNumber = (name: string | undefined) => (name === undefined ? undefined : ERRNO_NUMBERS[name]);

/** An errno given both by name and by number must be one errno. */
function errnoNameProblem(name: string | undefined, number: number | undefined, numberField: string): string | undefined {
  if (name === undefined || number === undefined || ERRNO_NUMBERS[name] === number) return undefined;
  return `${JSON.stringify(name)} is ${ERRNO_NUMBERS[name]}, but ${numberField} says ${number}`;
}

const usesData = (action: ActionName) => action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE";

/** errnoRet is the errno of ERRNO (which the kernel caps at 4095) or the message of TRACE. */
function dataProblem(action: ActionName, data: number | undefined, field: string): string | undefined {
  if (data === undefined) return undefined;
  if (!usesData(action)) return `${field} ${data} goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`;
  if (action === "SCMP_ACT_ERRNO" && data > MAX_ERRNO) return `expected an errno from 0 to ${MAX_ERRNO}, got ${data}`;
  return undefined;
}

const syscallRule = v.pipe(
  v.strictObject(
    {
      names: v.optional(v.array(v.string(expected("a syscall name")), expected("an array of syscall names"))),
      name: v.optional(v.string(expected("a syscall name"))),
      action: actionName,
      errnoRet: v.optional(integer(0, DATA_MAX)),
      // containers/common writes the errno by name too, beside errnoRet or instead of it.
      errno: v.optional(errnoName),
      // containers/common writes "args": null for none.
      args: v.pipe(
        v.optional(v.nullable(v.array(argument, expected("an array of argument comparisons"))), []),
        v.transform((a) => a ?? []),
      ),
      comment: v.optional(v.string(expected("a string"))),
      includes: v.optional(ruleCondition),
      excludes: v.optional(ruleCondition),
    },
    objectIssue("a syscall rule {names, action, ...}"),
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const rule = dataset.value;
    const path = (...keys: [string, ...(string | number)[]]) => issuePath(rule, keys);
    if (rule.name !== undefined && rule.names !== undefined) {
      addIssue({ message: "give either name or names, not both", path: path("name") });
    } else if (rule.name === undefined && rule.names === undefined) {
      addIssue({ message: "missing (a rule needs names)", path: path("names") });
    }
    const nameProblem = errnoNameProblem(rule.errno, rule.errnoRet, "errnoRet");
    if (nameProblem) addIssue({ message: nameProblem, path: path("errno") });
    const field = rule.errnoRet === undefined && rule.errno !== undefined ? "errno" : "errnoRet";
    const problem = dataProblem(rule.action, rule.errnoRet ?? errnoNumber(rule.errno), field);
    if (problem) addIssue({ message: problem, path: path(field) });
    // libseccomp refuses two comparisons of one argument in a rule and runc then splits them into
    // separate rules (OR): refusing keeps one meaning for the profile.
    const seen = new Map<number, number>();
    rule.args.forEach((arg, i) => {
      const first = seen.get(arg.index);
      if (first !== undefined) {
        addIssue({
          message: `argument ${arg.index} is already compared by args[${first}]; write a separate rule for each alternative`,
          path: path("args", i, "index"),
        });
      } else seen.set(arg.index, i);
    });
  }),
);

const flag = v.pipe(
  v.string(expected('a flag such as "SECCOMP_FILTER_FLAG_LOG"')),
  v.check(
    (s) => s !== "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" && s !== "SECCOMP_FILTER_FLAG_NEW_LISTENER",
    (i) => `${show(i.input)} is for user notification, which sbx does not offer (no supervisor answers it)`,
  ),
  v.picklist(Object.keys(FILTER_FLAGS) as FlagName[], (i) => `unknown flag ${show(i.input)}`),
);

/** The OCI spec's user-notification fields; empty means none, as in runc. */
const listenerField = (what: string) =>
  v.pipe(
    v.string(expected(what)),
    v.check((s) => s === "", "is for user notification (SCMP_ACT_NOTIFY), which sbx does not offer: no supervisor would answer it"),
  );

const PROFILE_WHAT = "a seccomp profile object";

const profileObject = v.strictObject(
  {
    defaultAction: actionName,
    defaultErrnoRet: v.optional(integer(0, DATA_MAX)),
    defaultErrno: v.optional(errnoName),
    // sbx's own field: what a syscall from another ABI (i386 or x32 on x86_64, arm on aarch64)
    // gets. Docker and runc ignore it; without it such syscalls kill the process.
    foreignAbiAction: v.optional(actionName, "SCMP_ACT_KILL_PROCESS"),
    foreignAbiErrnoRet: v.optional(integer(0, DATA_MAX)),
    architectures: v.optional(v.array(scmpArch, expected("an array of architectures"))),
    archMap: v.optional(
      v.array(
        v.strictObject(
          {
            architecture: scmpArch,
            subArchitectures: v.optional(v.nullable(v.array(scmpArch, expected("an array of architectures")))),
          },
          objectIssue("an object {architecture, subArchitectures}"),
        ),
        expected("an array of {architecture, subArchitectures}"),
      ),
    ),
    flags: v.optional(v.array(flag, expected("an array of flags")), []),
    listenerPath: v.optional(listenerField("a path")),
    listenerMetadata: v.optional(listenerField("a string")),
    syscalls: v.optional(v.array(syscallRule, expected("an array of syscall rules")), []),
  },
  objectIssue(PROFILE_WHAT),
);

const ProfileSchema = v.pipe(
  // valibot's object schemas take arrays too.
  v.custom<v.InferInput<typeof profileObject>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), expected(PROFILE_WHAT)),
  profileObject,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = dataset.value;
    const path = (key: string) => issuePath(p, [key]);
    if (p.architectures !== undefined && p.archMap !== undefined) {
      addIssue({ message: "give either architectures or archMap, not both", path: path("archMap") });
    }
    const nameProblem = errnoNameProblem(p.defaultErrno, p.defaultErrnoRet, "defaultErrnoRet");
    if (nameProblem) addIssue({ message: nameProblem, path: path("defaultErrno") });
    const field = p.defaultErrnoRet === undefined && p.defaultErrno !== undefined ? "defaultErrno" : "defaultErrnoRet";
    const defaultProblem = dataProblem(p.defaultAction, p.defaultErrnoRet ?? errnoNumber(p.defaultErrno), field);
    if (defaultProblem) addIssue({ message: defaultProblem, path: path(field) });
    const foreignProblem = dataProblem(p.foreignAbiAction, p.foreignAbiErrnoRet, "foreignAbiErrnoRet");
    if (foreignProblem) addIssue({ message: foreignProblem, path: path("foreignAbiErrnoRet") });
  }),
  // From here on an errno is a number, however the profile wrote it.
  v.transform(({ defaultErrno, ...p }) => {
    const defaultErrnoRet = p.defaultErrnoRet ?? errnoNumber(defaultErrno);
    return {
      ...p,
      ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
      syscalls: p.syscalls.map(({ errno, ...rule }) => {
        const errnoRet = rule.errnoRet ?? errnoNumber(errno);
        return errnoRet === undefined ? rule : { ...rule, errnoRet };
      }),
    };
  }),
);

export type Profile = v.InferOutput<typeof ProfileSchema>;
export type ProfileInput = v.InferInput<typeof ProfileSchema>;
export type SyscallRule = Profile["syscalls"][number];
export type RuleCondition = NonNullable<SyscallRule["includes"]>;

/** `syscalls[12].args[0].op` */
function formatPath(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

export function parseProfile(input: unknown): Profile {
  const result = v.safeParse(ProfileSchema, input);
  if (result.success) return result.output;
  throw new ProfileError(
    result.issues.map((issue) => {
      const path = issue.path ?? [];
      const where = formatPath(path.map((p) => p.key as string | number)) || "profile";
      const unknownField = issue.type === "strict_object" && issue.expected === "never";
      return unknownField ? `${where}: unknown field (value ${show(path.at(-1)?.value)})` : `${where}: ${issue.message}`;
    }),
  );
}

/**
 * JSON.parse, except that numbers are taken from their text: a plain integer stays exact (as
 * bigint beyond 2^53, since argument values are 64-bit and a rounded mask or flag would silently
 * compare something else), and any other number (1.0, 1e3, -1) is kept as JsonNumberText, which
 * every integer field refuses.
 */
export function readProfileJson(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value, context?: { source?: string }) => {
      if (typeof value !== "number") return value;
      const source = context?.source ?? String(value);
      if (!/^\d+$/.test(source)) return new JsonNumberText(source);
      return Number.isSafeInteger(value) ? value : BigInt(source);
    });
  } catch (e) {
    throw new ProfileError([`profile: not valid JSON (${(e as Error).message})`]);
  }
}

export function filterFlags(profile: Profile): number {
  return profile.flags.reduce((bits, f) => bits | FILTER_FLAGS[f], 0);
}
