// seccomp(2): install a classic BPF program on this thread (no TSYNC: the filter belongs to the
// thread that will execve; other threads die at exec).
import { ptr } from "bun:ffi";
import { EFAULT } from "./errno.ts";
import { errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_GET_ACTION_AVAIL = 2;
/** sbx never passes this on: the filter is for the thread that execs (src/stepdown/seccomp/compile.ts says why). */
export const SECCOMP_FILTER_FLAG_TSYNC = 1;

/** `program` is the raw array of struct sock_filter (8 bytes each). */
export function installFilter(program: Uint8Array, flags = 0): SysResult {
  if (program.length % 8 !== 0) throw new Error("seccomp program length is not a multiple of 8");
  const fprog = new BigUint64Array(2); // struct sock_fprog { u16 len; (pad); sock_filter *filter; }
  fprog[0] = BigInt(program.length / 8);
  fprog[1] = BigInt(ptr(program));
  const r = libc.syscall(SYS.seccomp, SECCOMP_SET_MODE_FILTER, flags, ptr(fprog), 0, 0);
  return r < 0 ? fail(errno(), "seccomp(SECCOMP_SET_MODE_FILTER)") : ok(0);
}

/**
 * Would seccomp(SECCOMP_SET_MODE_FILTER, flags) take a filter here? Asked with a NULL program,
 * which changes nothing: the kernel checks the flags, then fails to copy the program (EFAULT),
 * before the no_new_privs/CAP_SYS_ADMIN check. Any other answer is the one the install would get:
 * ENOSYS (no seccomp), EINVAL (no filter support, or unknown flags), or an outer filter's errno.
 */
export function probeFilterInstall(flags: number): SysResult {
  const r = libc.syscall(SYS.seccomp, SECCOMP_SET_MODE_FILTER, flags, 0, 0, 0);
  if (r >= 0) return ok(0);
  const e = errno();
  return e === EFAULT ? ok(0) : fail(e, "seccomp(SECCOMP_SET_MODE_FILTER)");
}

/** Whether the kernel implements a return action, e.g. 0x7fc00000 for SECCOMP_RET_LOG. */
export function actionAvailable(action: number): SysResult {
  const a = new Uint32Array([action >>> 0]);
  const r = libc.syscall(SYS.seccomp, SECCOMP_GET_ACTION_AVAIL, 0, ptr(a), 0, 0);
  return r < 0 ? fail(errno(), "seccomp(SECCOMP_GET_ACTION_AVAIL)") : ok(0);
}
