// capget/capset with the v3 (64-bit) header. The sets are per-thread; pid 0 means this thread.
import { errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

export interface ThreadCaps {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

const lo = (m: bigint) => Number(m & 0xffffffffn);
const hi = (m: bigint) => Number((m >> 32n) & 0xffffffffn);
const join = (l: number, h: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

export function capget(pid = 0): SysResult<ThreadCaps> {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, pid]);
  const data = new Uint32Array(6); // two struct __user_cap_data_struct {effective, permitted, inheritable}
  if (libc.capget(header, data) < 0) return fail(errno(), "capget");
  return ok({
    effective: join(data[0]!, data[3]!),
    permitted: join(data[1]!, data[4]!),
    inheritable: join(data[2]!, data[5]!),
  });
}

export function capset(c: ThreadCaps): SysResult<number> {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array([
    lo(c.effective), lo(c.permitted), lo(c.inheritable),
    hi(c.effective), hi(c.permitted), hi(c.inheritable),
  ]);
  return libc.capset(header, data) < 0 ? fail(errno(), "capset") : ok(0);
}
