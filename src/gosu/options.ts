// gosu mode's options: `gosu USER[:GROUP] CMD…` plus optional SBX_* environment variables, so an
// image that runs `gosu app "$@"` changes nothing but the binary and can opt into more. The
// variables are the `env` names of the exec option table (options/exec.ts); they are removed
// from the workload's environment, and an unknown or repeated SBX_* variable is an error.
import { Environment } from "../identity/env.ts";
import { EXEC_OPTIONS, type ExecOptions, type ExecValues, execOptions } from "../options/exec.ts";
import { flagName, type OptionDef, parseValues, type RawValues, UsageError } from "../options/option.ts";
import type { Vocabulary } from "../stepdown/plan.ts";
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

type Key = keyof typeof EXEC_OPTIONS;

/** SBX_* name → option key. */
const BY_ENV = new Map<string, Key>(
  Object.entries(EXEC_OPTIONS).flatMap(([k, d]) => ("env" in d ? [[d.env, k as Key]] : [])),
);
/** SBX_RLIMIT_… → option key: each such variable is one value of a repeatable option. */
const BY_PREFIX = Object.entries(EXEC_OPTIONS).flatMap(([k, d]) => ("envEach" in d ? [{ key: k as Key, ...d.envEach }] : []));
const prefixOf = (name: ByteString) => BY_PREFIX.find((p) => name.startsWith(p.prefix) && name.length > p.prefix.length);
export const SBX_ENV = [...BY_ENV.keys(), ...BY_PREFIX.map((p) => p.shown)];

/** [SBX_* name, its option's help] for gosu mode's --help. */
export const SBX_HELP: [string, string][] = Object.values(EXEC_OPTIONS).flatMap((d: OptionDef): [string, string][] => {
  const name = d.env ?? d.envEach?.shown;
  return name === undefined ? [] : [[name, d.envHelp ?? d.help]];
});

const envName = (key: Key) => {
  const d = EXEC_OPTIONS[key];
  return "env" in d ? d.env : undefined;
};

export const GOSU_SAY: Vocabulary = {
  option(key, value) {
    if (key === "allowNewPrivs") return "SBX_NO_NEW_PRIVS=0";
    const env = envName(key) ?? BY_PREFIX.find((p) => p.key === key)?.shown;
    if (env === undefined) return `sbx exec --${flagName(key)}`; // not offered in gosu mode
    return value === undefined ? env : `${env}=${value}`;
  },
  keepNnp: "SBX_NO_NEW_PRIVS=1",
};

const isSbx = (name: ByteString) => name.startsWith("SBX_");

/** The workload's environment: every SBX_* variable is sbx's, not the workload's. */
export const withoutSbxVars = (env: Environment) => env.filter((name) => !isSbx(name));

export function gosuOptions(spec: ByteString, argv: ByteString[], raw: readonly ByteString[], env: Environment): ExecOptions {
  const twice = Environment.duplicates(raw).filter(isSbx);
  if (twice.length) throw new UsageError(`${twice.map(quote).join(", ")} given more than once in the environment; set each SBX_* variable once`);
  const unknown = env.names().filter((n) => isSbx(n) && !BY_ENV.has(n) && !prefixOf(n));
  if (unknown.length) throw new UsageError(`unknown ${unknown.map(quote).join(", ")} (valid: ${SBX_ENV.join(", ")})`);
  const given: RawValues = new Map();
  for (const [name, key] of BY_ENV) {
    const value = env.get(name);
    if (value === undefined) continue;
    if ("value" in EXEC_OPTIONS[key]) given.set(key, [value]);
    else if (value === "1") given.set(key, true);
    else if (value !== "0") throw new UsageError(`${name} must be 0 or 1, not ${quote(value)}`);
  }
  // Each SBX_RLIMIT_<NAME> / SBX_LANDLOCK_RULE_<ID> is one value, in the order of their names.
  for (const name of env.names().filter((n) => prefixOf(n)).sort()) {
    const p = prefixOf(name)!;
    const value = env.get(name)!;
    const had = given.get(p.key);
    const one = p.as === "value" ? value : `${name.slice(p.prefix.length)}=${value}`;
    given.set(p.key, [...(had === undefined || had === true ? [] : had), one]);
  }
  const shown = (k: string) => envName(k as Key) ?? BY_PREFIX.find((p) => p.key === k)?.shown ?? `--${flagName(k)}`;
  const values: ExecValues = { user: spec, ...parseValues(EXEC_OPTIONS, given, shown) };
  // gosu sets no no_new_privs; asking for a filter or a Landlock ruleset asks for what the kernel needs to take it from a non-root workload.
  const nnp = env.get("SBX_NO_NEW_PRIVS") === undefined ? values.seccomp !== undefined || values.landlockAccess !== undefined : values.noNewPrivs === true;
  return execOptions(values, argv, nnp, shown);
}
