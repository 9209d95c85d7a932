// Resource limits and the file-mode creation mask, through the raw system calls: prlimit64 on this
// process (pid 0) reads and sets a limit in one call with 64-bit values on every architecture, and
// umask(2) through syscall(2) so that an outer filter's errno is seen (libc's wrapper cannot fail).
import { ptr } from "bun:ffi";
import { errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

export interface Limit {
  soft: bigint;
  hard: bigint;
}

/** RLIM_INFINITY. */
export const UNLIMITED = 0xffffffffffffffffn;

export function getRlimit(resource: number): SysResult<Limit> {
  const old = new BigUint64Array(2);
  const r = libc.syscall(SYS.prlimit64, 0, resource, 0, ptr(old), 0);
  return r < 0 ? fail(errno(), `prlimit64(${resource}, NULL, &old)`) : ok({ soft: old[0]!, hard: old[1]! });
}

export function setRlimit(resource: number, limit: Limit): SysResult {
  const next = new BigUint64Array([limit.soft, limit.hard]);
  const r = libc.syscall(SYS.prlimit64, 0, resource, ptr(next), 0, 0);
  return r < 0 ? fail(errno(), `prlimit64(${resource})`) : ok(0);
}

/** umask(2): sets the mask, returns the previous one. */
export function setUmask(mask: number): SysResult<number> {
  const r = libc.syscall(SYS.umask, mask, 0, 0, 0, 0);
  return r < 0 ? fail(errno(), `umask(0${mask.toString(8)})`) : ok(Number(r));
}
