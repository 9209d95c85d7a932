// This thread's state, read through system calls — bounding set, capabilities, no_new_privs and
// seccomp are per-thread, and the thread is the one that execs — and cross-checked against the
// kernel's own account in /proc/thread-self/status, which no seccomp filter can make lie. Any
// disagreement, any capability above the kernel's last, any answer that cannot be read is a
// refusal naming it, never a guess: a report that shows less than the kernel is worse than none.
import { type CapMask, toHex } from "../caps/mask.ts";
import { capget } from "../sys/capset.ts";
import { getfsgid, getfsuid, getgroups, getresgid, getresuid } from "../sys/creds.ts";
import { EINVAL } from "../sys/errno.ts";
import { readSmallFile } from "../sys/file.ts";
import { ambientIsSet, capbsetRead, getNoNewPrivs, getSeccompMode, getSecurebits } from "../sys/prctl.ts";
import { describe, type SysResult } from "../sys/result.ts";
import type { ByteString } from "../text/bytes.ts";
import type { Probed } from "./kernel.ts";
import { parseProcStatus, StatusParseError } from "./procStatus.ts";
import type { IdSet, ProcessState } from "./types.ts";

/** Where the status text comes from: a fresh read, or (sbx exec) a pread of an fd opened before any change. */
export type StatusSource = () => SysResult<ByteString>;

export const freshStatus: StatusSource = () => readSmallFile("/proc/thread-self/status");

class Unreadable extends Error {}

function must<T>(r: SysResult<T>): T {
  if (!r.ok) throw new Unreadable(`cannot read this thread's state: ${describe(r)}`);
  return r.value;
}

/**
 * A per-cap prctl over 0..63: caps up to `lastCap` must answer 0 or 1, caps past it EINVAL (they do
 * not exist). `absent`: the kernel has no such set at all (ambient before Linux 4.3), so every cap answers EINVAL.
 */
function capSet(what: string, lastCap: number, probe: (n: number) => SysResult<number>, absent = false): CapMask {
  // The two 32-bit halves as numbers: one BigInt at the end instead of one per cap.
  let low = 0;
  let high = 0;
  for (let n = 0; n < 64; n++) {
    const r = probe(n);
    const exists = n <= lastCap && !absent;
    if (exists && !r.ok) throw new Unreadable(`cannot read the ${what} set: ${describe(r)}`);
    if (!exists && (r.ok || r.errno !== EINVAL)) {
      throw new Unreadable(`the ${what} set answers for cap ${n} with ${r.ok ? r.value : r.errno.name}, but the kernel's last capability is ${lastCap}${absent ? " and it has no ambient set" : ""}: not a kernel answer`);
    }
    if (exists && r.ok && r.value === 1) {
      if (n < 32) low |= 1 << n;
      else high |= 1 << (n - 32);
    }
  }
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

/** /^prefix/m.test(text): a line of `text` starts with `prefix` (a line ends at \n or \r). */
export function hasLine(text: string, prefix: string): boolean {
  return text.startsWith(prefix) || text.includes(`\n${prefix}`) || text.includes(`\r${prefix}`);
}

/** The same groups, whatever the order and repetitions. */
function sameGroups(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const g of sa) if (!sb.has(g)) return false;
  return true;
}

const CAP_SETS = ["inheritable", "permitted", "effective", "bounding", "ambient"] as const;

const idsText = (x: IdSet) => `${x.real}/${x.effective}/${x.saved}/${x.fs}`;
const groupsText = (g: readonly number[]) => [...new Set(g)].sort((a, b) => a - b).join(",");

/** One line per property where the two sources differ. */
function disagreements(sys: ProcessState, proc: ProcessState): string[] {
  const out: string[] = [];
  // Each text is made only where the two differ: they agree on every start.
  const pair = (what: string, differ: boolean, a: () => string, b: () => string) => differ && out.push(`${what} is ${a()} by system calls but ${b()} in /proc/thread-self/status`);
  const sameIds = (x: IdSet, y: IdSet) => x.real === y.real && x.effective === y.effective && x.saved === y.saved && x.fs === y.fs;
  pair("uid", !sameIds(sys.uid, proc.uid), () => idsText(sys.uid), () => idsText(proc.uid));
  pair("gid", !sameIds(sys.gid, proc.gid), () => idsText(sys.gid), () => idsText(proc.gid));
  pair("groups", !sameGroups(sys.groups, proc.groups), () => `[${groupsText(sys.groups)}]`, () => `[${groupsText(proc.groups)}]`);
  for (const set of CAP_SETS) pair(`the ${set} set`, sys.caps[set] !== proc.caps[set], () => toHex(sys.caps[set]), () => toHex(proc.caps[set]));
  pair("no_new_privs", sys.noNewPrivs !== proc.noNewPrivs, () => String(Number(sys.noNewPrivs)), () => String(Number(proc.noNewPrivs)));
  pair("the seccomp mode", String(sys.seccompMode) !== String(proc.seccompMode), () => String(sys.seccompMode), () => String(proc.seccompMode));
  return out;
}

/** Any capability bit above the kernel's last, in any set: impossible, so some answer lies. */
function impossibleBits(s: ProcessState, lastCap: number, source: string): string[] {
  const beyond = ~((1n << BigInt(lastCap + 1)) - 1n) & ((1n << 64n) - 1n);
  const out: string[] = [];
  for (const set of CAP_SETS) {
    if ((s.caps[set] & beyond) !== 0n) out.push(`the ${set} set ${toHex(s.caps[set])} (${source}) has capabilities above the kernel's last, ${lastCap}`);
  }
  return out;
}

/** This thread, read and cross-checked; the problem when it cannot be trusted. */
export function readSelfState(lastCap: number, status: StatusSource = freshStatus): Probed<ProcessState> {
  try {
    const text = status();
    if (!text.ok) throw new Unreadable(`cannot read /proc/thread-self/status to cross-check this thread's state: ${describe(text)}`);
    let proc: ProcessState;
    try {
      proc = parseProcStatus(text.value, process.pid);
    } catch (e) {
      if (e instanceof StatusParseError) throw new Unreadable(`/proc/thread-self/status: ${e.message}`);
      throw e;
    }
    const ambientAbsent = !hasLine(text.value, "CapAmb:");
    const [ruid, euid, suid] = must(getresuid());
    const [rgid, egid, sgid] = must(getresgid());
    const c = must(capget());
    const mode = getSeccompMode();
    // EINVAL: a kernel built without CONFIG_SECCOMP (no Seccomp line then), or an emulator such as
    // qemu-user that does not pass the call on. The kernel's own status line is the answer then.
    const seccompMode = !mode.ok && mode.errno === EINVAL ? proc.seccompMode : must(mode);
    const sys: ProcessState = {
      pid: process.pid,
      source: "syscalls",
      uid: { real: ruid, effective: euid, saved: suid, fs: getfsuid() },
      gid: { real: rgid, effective: egid, saved: sgid, fs: getfsgid() },
      groups: must(getgroups()),
      caps: {
        inheritable: c.inheritable,
        permitted: c.permitted,
        effective: c.effective,
        bounding: capSet("bounding", lastCap, capbsetRead),
        ambient: capSet("ambient", lastCap, ambientIsSet, ambientAbsent),
      },
      securebits: must(getSecurebits()),
      noNewPrivs: must(getNoNewPrivs()) === 1,
      seccompMode,
      seccompFilters: proc.seccompFilters,
    };
    // Lines an older kernel does not have cannot disagree.
    if (!hasLine(text.value, "NoNewPrivs:")) proc.noNewPrivs = sys.noNewPrivs;
    const problems = [...impossibleBits(sys, lastCap, "capget/prctl"), ...impossibleBits(proc, lastCap, "procfs"), ...disagreements(sys, proc)];
    if (problems.length) return { ok: false, problem: `this thread's state cannot be trusted: ${problems.join("; ")}` };
    return { ok: true, value: sys };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, problem: e.message };
    throw e;
  }
}
