// getxattr(2), for reading a file's security.capability. Its own dlopen of the libc already
// loaded (so it only binds the symbol): libc.ts stays the shared table of what step-down needs.
import { dlopen, FFIType } from "bun:ffi";
import { cstr, errno, libcName } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const { ptr, u64, i64 } = FFIType;
const ERANGE = 34;

const { symbols } = dlopen(libcName, {
  getxattr: { args: [ptr, ptr, ptr, u64], returns: i64 },
});

/** The named attribute of the file `path` resolves to (symlinks, and /proc magic links, followed). */
export function getxattr(path: string, name: string): SysResult<Uint8Array> {
  const p = cstr(path), n = cstr(name);
  const call = `getxattr(${path}, ${name})`;
  // Ask for the size first; retry if the value grew in between (ERANGE).
  for (;;) {
    const size = Number(symbols.getxattr(p, n, null, 0));
    if (size < 0) return fail(call, errno());
    const buf = new Uint8Array(Math.max(size, 1));
    const got = Number(symbols.getxattr(p, n, buf, buf.length));
    if (got >= 0) return ok(buf.subarray(0, got));
    const e = errno();
    if (e !== ERANGE) return fail(call, e);
  }
}
