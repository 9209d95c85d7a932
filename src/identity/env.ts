// Environment blocks, as bytes. A block can name a variable twice; sbx follows Go (and so gosu)
// and glibc's getenv: the first entry of a name counts, later ones are dropped before anything
// reads the block, so that sbx's own decisions (PATH, LISTEN_FDS, SBX_*), the workload's getenv
// and the block the workload receives all agree. Entries without "=" pass through, as in Go.
//
// The workload's environment after the identity switch:
// - default (gosu): everything inherited, except HOME, which is always replaced by the target's
//   (gosu unsets HOME before resolving, so an existing value never survives) and, as in gosu,
//   moves to the end of the list;
// - --reset-env (setpriv): nothing inherited but TERM, COLORTERM and NO_COLOR (util-linux ≥ 2.42;
//   older setpriv keeps only TERM); then SHELL (passwd shell, or /bin/sh), HOME, USER, LOGNAME and
//   PATH (util-linux's compiled-in defaults for root and for everyone else; setpriv ≥ 2.42 would
//   take ENV_SUPATH/ENV_PATH from the image's /etc/login.defs instead — not read here, so PATH is
//   the same in every image). A uid without a passwd entry gets no USER/LOGNAME (setpriv would
//   describe the caller, root, there);
// - --env K=V: applied last, in order, so they override both.
import type { ByteString } from "../text/bytes.ts";
import type { ResolvedUser } from "./resolve.ts";

/** setpriv --reset-env's PATH, from util-linux include/pathnames.h (_PATH_DEFPATH_ROOT, _PATH_DEFPATH). */
export const RESET_PATH = {
  root: "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
  user: "/usr/local/bin:/bin:/usr/bin",
} as const;

/** Kept by --reset-env; they describe the terminal, not the user. */
export const RESET_KEEPS = ["TERM", "COLORTERM", "NO_COLOR"] as const;

const DEFAULT_SHELL = "/bin/sh";

const nameOf = (entry: ByteString): ByteString | null => {
  const eq = entry.indexOf("=");
  return eq < 0 ? null : entry.slice(0, eq);
};

/** nameOf(entry) === name, without cutting the name out. */
const named = (entry: ByteString, name: ByteString) =>
  entry.length > name.length && entry.charCodeAt(name.length) === 61 && entry.startsWith(name) && !name.includes("=");

// Plain loops below, not filter/map/find with callbacks: every start walks the whole block several
// times before the workload runs, and the runtime's array builtins cost more per element there.

/** An environment block: entries in order, each name at most once. */
export class Environment {
  private constructor(private readonly entries: readonly ByteString[]) {}

  /** The block as the kernel passed it; later entries of a name already seen are dropped. */
  static fromBlock(raw: readonly ByteString[]): Environment {
    const seen = new Set<ByteString>();
    const kept: ByteString[] = [];
    for (const e of raw) {
      const name = nameOf(e);
      if (name !== null) {
        if (seen.has(name)) continue;
        seen.add(name);
      }
      kept.push(e);
    }
    return new Environment(kept);
  }

  /** Names given more than once in `raw`. */
  static duplicates(raw: readonly ByteString[]): ByteString[] {
    const seen = new Set<ByteString>();
    const twice = new Set<ByteString>();
    for (const e of raw) {
      const name = nameOf(e);
      if (name === null) continue;
      if (seen.has(name)) twice.add(name);
      seen.add(name);
    }
    return [...twice];
  }

  get(name: ByteString): ByteString | undefined {
    for (const e of this.entries) if (named(e, name)) return e.slice(name.length + 1);
    return undefined;
  }

  names(): ByteString[] {
    const out: ByteString[] = [];
    for (const e of this.entries) {
      const name = nameOf(e);
      if (name !== null) out.push(name);
    }
    return out;
  }

  /** Replace the entry in place, or append it. */
  set(name: ByteString, value: ByteString): Environment {
    const entry = `${name}=${value}`;
    const out = [...this.entries];
    for (let i = 0; i < out.length; i++) {
      if (named(out[i]!, name)) {
        out[i] = entry;
        return new Environment(out);
      }
    }
    out.push(entry);
    return new Environment(out);
  }

  delete(...gone: ByteString[]): Environment {
    const out: ByteString[] = [];
    for (const e of this.entries) if (!gone.includes(nameOf(e) ?? "\0")) out.push(e);
    return new Environment(out);
  }

  filter(keep: (name: ByteString) => boolean): Environment {
    const out: ByteString[] = [];
    for (const e of this.entries) if (keep(nameOf(e) ?? "")) out.push(e);
    return new Environment(out);
  }

  /** "K=V" entries for execve. */
  toBlock(): ByteString[] {
    return [...this.entries];
  }
}

export interface WorkloadEnvOptions {
  readonly resetEnv?: boolean;
  readonly set?: readonly (readonly [ByteString, ByteString])[];
}

/**
 * The environment for `user`; without a user (no --user, no --reset-env), `inherited` with the
 * --env assignments applied.
 */
export function workloadEnv(inherited: Environment, user: ResolvedUser | null, options: WorkloadEnvOptions = {}): Environment {
  let env: Environment;
  if (user && options.resetEnv) {
    env = Environment.fromBlock([]);
    for (const name of RESET_KEEPS) {
      const value = inherited.get(name);
      if (value !== undefined) env = env.set(name, value);
    }
    env = env.set("SHELL", user.shell ?? DEFAULT_SHELL).set("HOME", user.home);
    if (user.name !== undefined) env = env.set("USER", user.name).set("LOGNAME", user.name);
    env = env.set("PATH", user.uid === 0 ? RESET_PATH.root : RESET_PATH.user);
  } else if (user) {
    env = inherited.delete("HOME").set("HOME", user.home);
  } else {
    env = inherited;
  }
  for (const [name, value] of options.set ?? []) env = env.set(name, value);
  return env;
}
