// gosu mode's options: `gosu USER[:GROUP] CMD…` plus optional SBX_* environment variables, so an
// image that runs `gosu app "$@"` changes nothing but the binary and can opt into more.
//   SBX_BOUNDING_SET    bounding set edits, setpriv syntax (e.g. -all); default: unchanged
//   SBX_CAPS            caps the workload keeps (inheritable + ambient + bounding)
//   SBX_NO_NEW_PRIVS    1 to set no_new_privs (default 0, as gosu; 1 with SBX_SECCOMP)
//   SBX_SECCOMP         a seccomp profile installed last, right before execve (as --seccomp)
//   SBX_ALLOW_DEGRADED  bounding,groups,nnp,seccomp (as --allow-degraded)
//   SBX_LOG_FORMAT      text or ocsf
// They are removed from the workload's environment.
import { type ExecOptions, parseExecOptions, UsageError } from "../stepdown/options.ts";

export const SBX_ENV = ["SBX_BOUNDING_SET", "SBX_CAPS", "SBX_NO_NEW_PRIVS", "SBX_SECCOMP", "SBX_ALLOW_DEGRADED", "SBX_LOG_FORMAT"] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** The environment without any SBX_* variable (known or not: they are ours, not the workload's). */
export function withoutSbxVars(env: Env): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("SBX_")));
}

export function gosuOptions(spec: string, argv: readonly string[], env: Env): ExecOptions {
  const unknown = Object.keys(env).filter((k) => k.startsWith("SBX_") && !(SBX_ENV as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`unknown ${unknown.join(", ")} (valid: ${SBX_ENV.join(", ")})`);
  // Asking for a filter asks for what the kernel needs to take it from a non-root workload.
  const nnp = env.SBX_NO_NEW_PRIVS ?? (env.SBX_SECCOMP !== undefined ? "1" : "0");
  if (nnp !== "0" && nnp !== "1") throw new UsageError(`SBX_NO_NEW_PRIVS must be 0 or 1, not "${nnp}"`);
  const o = parseExecOptions(
    {
      user: spec,
      ...(env.SBX_BOUNDING_SET !== undefined ? { "bounding-set": env.SBX_BOUNDING_SET } : {}),
      ...(env.SBX_CAPS !== undefined ? { caps: env.SBX_CAPS } : {}),
      ...(env.SBX_SECCOMP !== undefined ? { seccomp: env.SBX_SECCOMP } : {}),
      ...(env.SBX_ALLOW_DEGRADED !== undefined ? { "allow-degraded": env.SBX_ALLOW_DEGRADED } : {}),
      ...(env.SBX_LOG_FORMAT !== undefined ? { "log-format": env.SBX_LOG_FORMAT } : {}),
    },
    [...argv],
  );
  return { ...o, boundingSet: env.SBX_BOUNDING_SET ?? null, noNewPrivs: nnp === "1" };
}
