// Moving an fd sbx opens for itself (the report file) out of the range the workload keeps.
import { errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const F_DUPFD_CLOEXEC = 1030;

/** A close-on-exec duplicate of fd numbered at least `min`; the original is closed. */
export function moveCloexecAbove(fd: number, min: number): SysResult<number> {
  const n = libc.fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (n < 0) return fail(`fcntl(${fd}, F_DUPFD_CLOEXEC, ${min})`, errno());
  libc.close(fd);
  return ok(n);
}
