// What the running kernel supports, found by asking it (never from compile-time constants).
import { EINVAL, errnoName } from "../sys/errno.ts";
import { capbsetDrop, capbsetRead } from "../sys/prctl.ts";

/**
 * The kernel's last capability: PR_CAPBSET_READ answers EINVAL past it. No procfs needed
 * (`sbx doctor` cross-checks /proc/sys/kernel/cap_last_cap).
 */
export function kernelLastCap(): number {
  let n = 0;
  while (n < 64 && capbsetRead(n + 1).ok) n++;
  return n;
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
 */
export function probeBoundingDrop(lastCap: number): BoundingProbe {
  const r = capbsetDrop(lastCap + 1);
  if (r.ok) return { droppable: true, errno: null }; // not expected; nothing existed to drop
  return r.errno === EINVAL
    ? { droppable: true, errno: null }
    : { droppable: false, errno: errnoName(r.errno) };
}
