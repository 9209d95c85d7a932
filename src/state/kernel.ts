// What the running kernel supports, found by asking it — and cross-checked, because one answer
// can lie: an outer seccomp filter (or a supervisor answering through user notification) decides
// what a prctl returns. A security tool must never conclude from one probe that there is less to
// drop than there is.
import { EINVAL } from "../sys/errno.ts";
import { isDigits } from "../identity/id.ts";
import { readSmallFile } from "../sys/file.ts";
import { capbsetDrop, capbsetRead } from "../sys/prctl.ts";

/** A fact sbx could establish, or the one-line reason it could not. */
export type Probed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The highest cap PR_CAPBSET_READ accepts: it answers EINVAL past the kernel's last. Every cap
 * 0..63 is asked, and the accepted ones must be exactly 0..N: anything else is not a kernel.
 */
export function probeLastCap(): Probed<number> {
  let last = -1;
  for (let n = 0; n < 64; n++) {
    const r = capbsetRead(n);
    if (r.ok) {
      if (last !== n - 1) return { ok: false, problem: `PR_CAPBSET_READ accepts cap ${n} but refused cap ${last + 1} with EINVAL: the kernel's answers are not consistent (an outer seccomp filter?)` };
      last = n;
    } else if (r.errno !== EINVAL) {
      return { ok: false, problem: `prctl(PR_CAPBSET_READ, ${n}): ${r.errno.name} (an outer seccomp filter or LSM refuses it)` };
    }
  }
  if (last < 0) return { ok: false, problem: "PR_CAPBSET_READ refuses every capability with EINVAL: not a kernel sbx can work with (an outer seccomp filter?)" };
  return { ok: true, value: last };
}

/** /proc/sys/kernel/cap_last_cap, or null when it is not readable (a tmpfs over /proc/sys, no procfs). */
export function procLastCap(): number | null {
  const t = readSmallFile("/proc/sys/kernel/cap_last_cap");
  if (!t.ok) return null;
  const digits = t.value.endsWith("\n") ? t.value.slice(0, -1) : t.value; // /^\d+\n?$/
  return isDigits(digits) ? Number(t.value) : null;
}

/** The kernel's last capability: the syscall probe, which /proc/sys/kernel/cap_last_cap must confirm when readable. */
export function kernelLastCap(): Probed<number> {
  const probe = probeLastCap();
  if (!probe.ok) return probe;
  const proc = procLastCap();
  if (proc !== null && proc !== probe.value) {
    return { ok: false, problem: `the kernel's last capability is uncertain: PR_CAPBSET_READ says ${probe.value}, /proc/sys/kernel/cap_last_cap says ${proc} (an outer seccomp filter or a mount over procfs is lying)` };
  }
  return probe;
}

export interface BoundingProbe {
  droppable: boolean;
  /** Errno name when the kernel refused, e.g. "EPERM" (no CAP_SETPCAP, or an LSM said no). */
  errno: string | null;
}

/**
 * Would PR_CAPBSET_DROP be allowed? Asks for a cap past the kernel's last: the kernel checks
 * CAP_SETPCAP (and LSM hooks) before validity, so EINVAL means "allowed" and EPERM "refused",
 * and nothing changes either way. This catches AppArmor denials that CapEff does not show.
 * Only a hint for planning: the real drop is checked call by call and read back.
 */
export function probeBoundingDrop(lastCap: number): BoundingProbe {
  const r = capbsetDrop(lastCap + 1);
  if (r.ok) return { droppable: true, errno: null }; // not expected; nothing existed to drop
  return r.errno === EINVAL ? { droppable: true, errno: null } : { droppable: false, errno: r.errno.name };
}
