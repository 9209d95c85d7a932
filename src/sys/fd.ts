// Fds sbx opens for itself (the report file, /proc/thread-self/status): moved out of the range
// the workload keeps, and read at offset 0.
import { ptr } from "bun:ffi";
import { errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const F_DUPFD_CLOEXEC = 1030;

/** A close-on-exec duplicate of fd numbered at least `min`; the original is closed. */
export function moveCloexecAbove(fd: number, min: number): SysResult<number> {
  const n = libc.fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (n < 0) return fail(errno(), `fcntl(${fd}, F_DUPFD_CLOEXEC, ${min})`);
  libc.close(fd);
  return ok(n);
}

/**
 * pread64(fd, buf, buf.length, 0) through the raw system call, so exactly that call is made (a
 * procfs file is generated afresh by a read at offset 0). Returns the bytes read.
 */
export function preadFromStart(fd: number, buf: Uint8Array): SysResult<number> {
  const n = Number(libc.syscall(SYS.pread64, fd, ptr(buf), buf.length, 0, 0));
  return n < 0 ? fail(errno(), `pread64(fd ${fd})`) : ok(n);
}
