import { errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

export const PR = {
  SET_PDEATHSIG: 1,
  GET_DUMPABLE: 3,
  GET_KEEPCAPS: 7,
  SET_KEEPCAPS: 8,
  GET_SECCOMP: 21,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  GET_SECUREBITS: 27,
  SET_SECUREBITS: 28,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
} as const;

export const AMBIENT = { IS_SET: 1, RAISE: 2, LOWER: 3, CLEAR_ALL: 4 } as const;

/** "prctl(PR_CAPBSET_READ)", made once per op: probing past the last cap fails dozens of times a start. */
const CALL: Record<number, string> = {};

function callText(op: number): string {
  let name: string | undefined;
  for (const [k, v] of Object.entries(PR)) if (v === op) name = `PR_${k}`;
  return `prctl(${name ?? op})`;
}

export function prctl(op: number, a = 0, b = 0, c = 0, d = 0): SysResult<number> {
  const r = libc.prctl(op, a, b, c, d);
  return r < 0 ? fail(errno(), (CALL[op] ??= callText(op))) : ok(r);
}

export const capbsetRead = (cap: number) => prctl(PR.CAPBSET_READ, cap);
export const capbsetDrop = (cap: number) => prctl(PR.CAPBSET_DROP, cap);
export const ambientIsSet = (cap: number) => prctl(PR.CAP_AMBIENT, AMBIENT.IS_SET, cap);
export const ambientRaise = (cap: number) => prctl(PR.CAP_AMBIENT, AMBIENT.RAISE, cap);
export const ambientClearAll = () => prctl(PR.CAP_AMBIENT, AMBIENT.CLEAR_ALL);
export const getSecurebits = () => prctl(PR.GET_SECUREBITS);
export const setSecurebits = (bits: number) => prctl(PR.SET_SECUREBITS, bits);
export const getNoNewPrivs = () => prctl(PR.GET_NO_NEW_PRIVS);
export const setNoNewPrivs = () => prctl(PR.SET_NO_NEW_PRIVS, 1);
export const getSeccompMode = () => prctl(PR.GET_SECCOMP);
export const setKeepCaps = (on: boolean) => prctl(PR.SET_KEEPCAPS, on ? 1 : 0);
export const setPdeathsig = (sig: number) => prctl(PR.SET_PDEATHSIG, sig);
