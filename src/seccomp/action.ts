// Seccomp return actions (include/uapi/linux/seccomp.h). An action is the 32-bit value a filter
// returns: the action in the high 16 bits, its data (errno, tracer message) in the low 16.

/** A SECCOMP_RET_* value, data included. */
export type Action = number;

const RET_KILL_PROCESS = 0x80000000;
const RET_KILL_THREAD = 0x00000000;
const RET_TRAP = 0x00030000;
const RET_ERRNO = 0x00050000;
const RET_USER_NOTIF = 0x7fc00000;
export const RET_TRACE = 0x7ff00000;
export const RET_LOG = 0x7ffc0000;
export const RET_ALLOW = 0x7fff0000;

const RET_ACTION_FULL = 0xffff0000;
const RET_DATA = 0x0000ffff;

export const ENOSYS = 38;
export const EPERM = 1;
/** The kernel turns larger SECCOMP_RET_ERRNO data into MAX_ERRNO. */
export const MAX_ERRNO = 4095;

export const KILL_PROCESS: Action = RET_KILL_PROCESS;
export const KILL_THREAD: Action = RET_KILL_THREAD;
export const TRAP: Action = RET_TRAP;
export const LOG: Action = RET_LOG;
export const ALLOW: Action = RET_ALLOW;
export const errno = (n: number): Action => (RET_ERRNO | (n & RET_DATA)) >>> 0;
export const trace = (msg: number): Action => (RET_TRACE | (msg & RET_DATA)) >>> 0;

export const actionOf = (ret: number) => (ret & RET_ACTION_FULL) >>> 0;
const dataOf = (ret: number) => ret & RET_DATA;

/**
 * How restrictive an action is, lower first: the kernel's order when several filters answer
 * (KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, USER_NOTIF, TRACE, LOG, ALLOW), i.e. the action bits
 * compared as a signed 32-bit number.
 */
export const restrictiveness = (ret: number) => actionOf(ret) | 0;

/** "ALLOW", "ERRNO(1)", "TRACE(7)": how listings and `sbx seccomp check` show a return value. */
export function describeAction(ret: number): string {
  const data = dataOf(ret);
  switch (actionOf(ret)) {
    case RET_KILL_PROCESS:
      return "KILL_PROCESS";
    case RET_KILL_THREAD:
      return "KILL_THREAD";
    case RET_TRAP:
      return "TRAP";
    case RET_ERRNO:
      return `ERRNO(${data})`;
    case RET_USER_NOTIF:
      return "USER_NOTIF";
    case RET_TRACE:
      return `TRACE(${data})`;
    case RET_LOG:
      return "LOG";
    case RET_ALLOW:
      return "ALLOW";
    default:
      // The kernel treats unknown actions as KILL_PROCESS.
      return `UNKNOWN(0x${(ret >>> 0).toString(16).padStart(8, "0")})`;
  }
}
