// The workload's environment after the identity switch.
//
// Default (gosu): everything inherited, except HOME, which is always replaced by the target's
// (gosu unsets HOME before resolving, so an existing value never survives) and, as in gosu, moves to
// the end of the list.
// --reset-env (setpriv): nothing inherited but TERM, COLORTERM and NO_COLOR (util-linux ≥ 2.42;
// older setpriv keeps only TERM); then SHELL (passwd shell, or /bin/sh), HOME, USER, LOGNAME and PATH
// (util-linux's compiled-in defaults for root and for everyone else; setpriv ≥ 2.42 would take
// ENV_SUPATH/ENV_PATH from the image's /etc/login.defs instead — not read here, so PATH is the same
// in every image). A uid without a passwd entry gets no USER/LOGNAME (setpriv would describe the
// caller, root, there).
// --env K=V: applied last, in order, so they override both.
import { quote } from "./errors.ts";
import type { ResolvedUser } from "./resolve.ts";

/** setpriv --reset-env's PATH, from util-linux include/pathnames.h (_PATH_DEFPATH_ROOT, _PATH_DEFPATH). */
export const RESET_PATH = {
  root: "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
  user: "/usr/local/bin:/bin:/usr/bin",
} as const;

/** Kept by --reset-env; they describe the terminal, not the user. */
export const RESET_KEEPS = ["TERM", "COLORTERM", "NO_COLOR"] as const;

const DEFAULT_SHELL = "/bin/sh";

export interface EnvAssignment {
  readonly name: string;
  readonly value: string;
}

export class EnvSpecError extends Error {}

/** `--env K=V`: K non-empty and without "=" (the first "=" ends the name); V may be empty. */
export function parseEnvAssignment(text: string): EnvAssignment {
  const eq = text.indexOf("=");
  if (eq < 0) throw new EnvSpecError(`env ${quote(text)}: expected NAME=VALUE`);
  if (eq === 0) throw new EnvSpecError(`env ${quote(text)}: the name is empty`);
  return { name: text.slice(0, eq), value: text.slice(eq + 1) };
}

export interface WorkloadEnvOptions {
  readonly resetEnv?: boolean;
  readonly set?: readonly EnvAssignment[];
}

/**
 * The environment for `user`, in execve order. `inherited` is the caller's environment (e.g.
 * process.env). Call it when the identity changes; without --user, pass the environment through.
 */
export function workloadEnv(
  inherited: Readonly<Record<string, string | undefined>>,
  user: ResolvedUser,
  options: WorkloadEnvOptions = {},
): Map<string, string> {
  const env = new Map<string, string>();
  if (options.resetEnv) {
    for (const name of RESET_KEEPS) {
      const value = inherited[name];
      if (value !== undefined) env.set(name, value);
    }
    env.set("SHELL", user.shell ?? DEFAULT_SHELL);
    env.set("HOME", user.home);
    if (user.name !== undefined) {
      env.set("USER", user.name);
      env.set("LOGNAME", user.name);
    }
    env.set("PATH", user.uid === 0 ? RESET_PATH.root : RESET_PATH.user);
  } else {
    for (const [name, value] of Object.entries(inherited)) {
      if (value !== undefined && name !== "HOME") env.set(name, value);
    }
    env.set("HOME", user.home);
  }
  for (const { name, value } of options.set ?? []) env.set(name, value);
  return env;
}

/** ["K=V", …] for execve. */
export function toEnvp(env: ReadonlyMap<string, string>): string[] {
  return [...env].map(([name, value]) => `${name}=${value}`);
}
