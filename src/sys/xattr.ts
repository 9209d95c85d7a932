// getxattr(2), for reading a file's security.capability.
import { ERANGE } from "./errno.ts";
import { cstr, errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

/** The named attribute of the file `path` resolves to (symlinks, and /proc magic links, followed). */
export function getxattr(path: string, name: string): SysResult<Uint8Array> {
  const p = cstr(path), n = cstr(name);
  const call = `getxattr(${path}, ${name})`;
  // Ask for the size first; retry if the value grew in between (ERANGE).
  for (;;) {
    const size = Number(libc.getxattr(p, n, null, 0));
    if (size < 0) return fail(errno(), call);
    const buf = new Uint8Array(Math.max(size, 1));
    const got = Number(libc.getxattr(p, n, buf, buf.length));
    if (got >= 0) return ok(buf.subarray(0, got));
    const e = errno();
    if (e !== ERANGE) return fail(e, call);
  }
}
