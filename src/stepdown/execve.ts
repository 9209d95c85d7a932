// What execve makes of a thread's credentials, pure: the kernel's rules (security/commoncap.c,
// cap_bprm_creds_from_file) for a binary — or a script's interpreter — without file capabilities
// and without setuid/setgid bits. It is the one place the workload's state is predicted from the
// state right before execve: `--dry-run` feeds it the state the plan expects, the report the state
// read back, so the two predictions cannot drift apart. It is a prediction: sbx cannot read the
// workload's state after execve, and the report says so next to it.
//
// Assumed, and not checked here: the workload is not being ptraced and shares no fs_struct with
// another process (either makes the kernel treat the exec as unsafe, like no_new_privs does).
import type { CapMask } from "../caps/mask.ts";
import { securebitMask } from "../caps/securebits.ts";
import type { CapSets, IdSet } from "../state/types.ts";

const NOROOT = securebitMask("noroot");
const KEEP_CAPS = securebitMask("keep_caps");

/** A thread's state right before execve, as read back or as planned. */
export interface BeforeExecve {
  uid: IdSet;
  gid: IdSet;
  groups: readonly number[];
  caps: CapSets;
  securebits: number;
  noNewPrivs: boolean;
  seccompMode: number;
  /** Seccomp_filters; null when it cannot be known. */
  seccompFilters: number | null;
}

/** The workload's state right after execve, as the kernel's rules make it. */
export interface PredictedState {
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  caps: CapSets;
  securebits: number;
  noNewPrivs: boolean;
  seccompMode: number;
  seccompFilters: number | null;
}

export function afterExecve(s: BeforeExecve): PredictedState {
  const { bounding, inheritable, ambient: oldAmbient, permitted: oldPermitted } = s.caps;
  // Root's compatibility rule: with a real or effective uid of 0 and without SECBIT_NOROOT the
  // binary counts as having full file sets, so P' = bounding | inheritable; its effective bit only
  // for an effective uid of 0. Anyone else starts from an empty permitted set.
  const rootRule = (s.securebits & NOROOT) === 0;
  let permitted = rootRule && (s.uid.real === 0 || s.uid.effective === 0) ? bounding | inheritable : 0n;
  const fileEffective = rootRule && s.uid.effective === 0;
  // No setid bit keeps the effective ids; the kernel still counts the gid as changed when the
  // effective gid is neither the fs gid nor a supplementary group (in_group_p). Kernels before the
  // 2025 fix "exec: Correct the permission check for unsafe exec" compared the effective ids with
  // the real ones instead: for a caller whose real and effective ids differ (possible only without
  // --user) they clear the ambient set and, under no_new_privs, reset the effective ids.
  const idChanged = s.gid.effective !== s.gid.fs && !s.groups.includes(s.gid.effective);
  let euid = s.uid.effective;
  let egid = s.gid.effective;
  // Under no_new_privs an exec that would change ids or gain permitted caps gets no more than it had.
  if (s.noNewPrivs && (idChanged || (permitted & ~oldPermitted) !== 0n)) {
    euid = s.uid.real;
    egid = s.gid.real;
    permitted &= oldPermitted;
  }
  const ambient: CapMask = idChanged ? 0n : oldAmbient;
  permitted |= ambient;
  return {
    // The saved and fs ids follow the effective ones.
    uid: { real: s.uid.real, effective: euid, saved: euid, fs: euid },
    gid: { real: s.gid.real, effective: egid, saved: egid, fs: egid },
    groups: [...s.groups],
    caps: { inheritable, permitted, effective: fileEffective ? permitted : ambient, bounding, ambient },
    securebits: s.securebits & ~KEEP_CAPS,
    noNewPrivs: s.noNewPrivs,
    seccompMode: s.seccompMode,
    seccompFilters: s.seccompFilters,
  };
}
