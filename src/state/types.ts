import type { CapMask } from "../caps/mask.ts";

export interface IdSet {
  real: number;
  effective: number;
  saved: number;
  fs: number;
}

export interface CapSets {
  inheritable: CapMask;
  permitted: CapMask;
  effective: CapMask;
  bounding: CapMask;
  ambient: CapMask;
}

export const CAP_SET_NAMES = ["inheritable", "permitted", "effective", "bounding", "ambient"] as const;
export type CapSetName = (typeof CAP_SET_NAMES)[number];

/** The privilege-relevant state of one thread, however it was read. */
export interface ProcessState {
  pid: number;
  /** "syscalls": this thread, asked directly; "procfs": /proc/<pid>/status. */
  source: "syscalls" | "procfs";
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  caps: CapSets;
  /** null when it cannot be read (another process: securebits are not in /proc). */
  securebits: number | null;
  noNewPrivs: boolean;
  seccompMode: number;
  /** Seccomp_filters from procfs; null without procfs. */
  seccompFilters: number | null;
}
