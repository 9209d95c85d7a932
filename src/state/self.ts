// This thread's state, read through system calls only (works without procfs). Bounding set,
// capabilities, no_new_privs and seccomp are per-thread, and the thread is the one that execs.
import { readFileSync } from "node:fs";
import { maskOf } from "../caps/mask.ts";
import { capget } from "../sys/capset.ts";
import { getfsgid, getfsuid, getgroups, getresgid, getresuid } from "../sys/creds.ts";
import { ambientIsSet, capbsetRead, getNoNewPrivs, getSeccompMode, getSecurebits } from "../sys/prctl.ts";
import { EINVAL } from "../sys/errno.ts";
import { describe, type SysResult } from "../sys/result.ts";
import type { ProcessState } from "./types.ts";

export class StateReadError extends Error {}

function must<T>(r: SysResult<T>): T {
  if (!r.ok) throw new StateReadError(`cannot read own state: ${describe(r)}`);
  return r.value;
}

function setFromProbe(lastCap: number, probe: (n: number) => SysResult<number>): bigint {
  const caps: number[] = [];
  for (let n = 0; n <= lastCap; n++) if (must(probe(n)) === 1) caps.push(n);
  return maskOf(caps);
}

/** A kernel built without CONFIG_SECCOMP answers PR_GET_SECCOMP with EINVAL: no filter, mode 0. */
function seccompMode(): number {
  const r = getSeccompMode();
  if (!r.ok && r.errno === EINVAL) return 0;
  return must(r);
}

/** Seccomp_filters exists only in procfs; absent procfs is not an error. */
function seccompFilterCount(): number | null {
  try {
    const m = /^Seccomp_filters:\s*(\d+)/m.exec(readFileSync("/proc/thread-self/status", "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function readSelfState(lastCap: number): ProcessState {
  const [ruid, euid, suid] = must(getresuid());
  const [rgid, egid, sgid] = must(getresgid());
  const c = must(capget());
  return {
    pid: process.pid,
    source: "syscalls",
    uid: { real: ruid, effective: euid, saved: suid, fs: getfsuid() },
    gid: { real: rgid, effective: egid, saved: sgid, fs: getfsgid() },
    groups: must(getgroups()),
    caps: {
      inheritable: c.inheritable,
      permitted: c.permitted,
      effective: c.effective,
      bounding: setFromProbe(lastCap, capbsetRead),
      ambient: setFromProbe(lastCap, ambientIsSet),
    },
    securebits: must(getSecurebits()),
    noNewPrivs: must(getNoNewPrivs()) === 1,
    seccompMode: seccompMode(),
    seccompFilters: seccompFilterCount(),
  };
}
