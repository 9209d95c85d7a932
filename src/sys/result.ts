import { errnoName } from "./errno.ts";

/** Outcome of one system call: the value, or the errno read right after the failure. */
export type SysResult<T = number> =
  | { ok: true; value: T }
  | { ok: false; errno: number; call: string };

export function ok<T>(value: T): SysResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(call: string, errno: number): SysResult<T> {
  return { ok: false, errno, call };
}

/** "prctl(PR_CAPBSET_DROP): EPERM" — the syscall and errno part of a message. */
export function describe(r: { call: string; errno: number }): string {
  return `${r.call}: ${errnoName(r.errno)}`;
}
