import type { Errno } from "./errno.ts";

/** Outcome of one system call: the value, or the errno read right after the failure. */
export type SysResult<T = number> =
  | { ok: true; value: T }
  | { ok: false; errno: Errno; call: string };

export type SysFailure = Extract<SysResult<never>, { ok: false }>;

export function ok<T>(value: T): SysResult<T> {
  return { ok: true, value };
}

/**
 * A failed call. The errno comes first so that a wrapper reads it before anything else runs:
 * `fail(errno(), \`setresuid(${u})\`)` evaluates errno() before it builds the text.
 */
export function fail<T = never>(errno: Errno, call: string): SysResult<T> {
  return { ok: false, errno, call };
}

/** "prctl(PR_CAPBSET_DROP): EPERM" — the syscall and errno part of a message. */
export function describe(r: { call: string; errno: Errno }): string {
  return `${r.call}: ${r.errno.name}`;
}
