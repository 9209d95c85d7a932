import { listText } from "../text/quote.ts";
import { errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

export type IdTriple = [real: number, effective: number, saved: number];

function getres(fn: typeof libc.getresuid, call: string): SysResult<IdTriple> {
  const r = new Uint32Array(1), e = new Uint32Array(1), s = new Uint32Array(1);
  return fn(r, e, s) < 0 ? fail(errno(), call) : ok([r[0]!, e[0]!, s[0]!]);
}

export const getresuid = () => getres(libc.getresuid, "getresuid");
export const getresgid = () => getres(libc.getresgid, "getresgid");

/** setfsuid(-1) changes nothing and returns the current fsuid: the only way to read it without /proc. */
export const getfsuid = () => libc.setfsuid(0xffffffff) >>> 0;
export const getfsgid = () => libc.setfsgid(0xffffffff) >>> 0;

export function setresuid(u: number): SysResult {
  return libc.setresuid(u, u, u) < 0 ? fail(errno(), `setresuid(${u})`) : ok(0);
}

export function setresgid(g: number): SysResult {
  return libc.setresgid(g, g, g) < 0 ? fail(errno(), `setresgid(${g})`) : ok(0);
}

export function getgroups(): SysResult<number[]> {
  const n = libc.getgroups(0, null);
  if (n < 0) return fail(errno(), "getgroups");
  const buf = new Uint32Array(Math.max(n, 1));
  const m = libc.getgroups(n, buf);
  if (m < 0) return fail(errno(), "getgroups");
  const out: number[] = [];
  for (let i = 0; i < m; i++) out.push(buf[i]!);
  return ok(out);
}

export function setgroups(gids: readonly number[]): SysResult {
  const buf = new Uint32Array(Math.max(gids.length, 1));
  buf.set(gids);
  return libc.setgroups(gids.length, buf) < 0
    ? fail(errno(), `setgroups(${listText(gids)})`)
    : ok(0);
}

/**
 * Would the identity calls be let through? Each is made so that it changes nothing: setresuid and
 * setresgid with -1 ("unchanged"), setgroups with the current groups. An outer seccomp filter or an
 * LSM that refuses the call refuses these too.
 */
export function probeSwitch(): { setgroups: SysResult; setresgid: SysResult; setresuid: SysResult } {
  const groups = getgroups();
  return {
    setgroups: groups.ok ? setgroups(groups.value) : groups,
    setresgid: libc.setresgid(0xffffffff, 0xffffffff, 0xffffffff) < 0 ? fail(errno(), "setresgid(-1, -1, -1)") : ok(0),
    setresuid: libc.setresuid(0xffffffff, 0xffffffff, 0xffffffff) < 0 ? fail(errno(), "setresuid(-1, -1, -1)") : ok(0),
  };
}
