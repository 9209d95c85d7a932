// Capability numbers and names, through the newest one the kernel defines (checkpoint_restore = 40,
// unchanged up to Linux 6.18). Caps above this table are still handled, as "cap_N".
export const CAP_NAMES = [
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
  "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
  "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
  "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
  "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
] as const;

export type CapName = (typeof CAP_NAMES)[number];

/** Highest capability number in our table. */
export const TABLE_LAST_CAP = CAP_NAMES.length - 1;

/**
 * Capabilities worth naming when still in a bounding set: each has a known way to root, out of the
 * container, or to other users' data (docs/caps.md gives the reason for each); the last two are
 * harmless alone but in Docker's default set, so a workload that keeps them was not stepped down.
 */
export const DANGEROUS_CAPS: readonly CapName[] = [
  "sys_admin", "sys_ptrace", "sys_module", "sys_rawio", "sys_boot", "dac_override", "dac_read_search",
  "fowner", "chown", "setuid", "setgid", "setpcap", "setfcap", "mac_admin", "mac_override", "mknod",
  "net_admin", "net_raw", "bpf", "perfmon", "kill", "sys_chroot", "net_bind_service", "audit_write",
];

/** "cap_sys_admin" for known numbers, "cap_41" above the table (capsh prints the bare number). */
export function capName(n: number): string {
  const name = CAP_NAMES[n];
  return name ? `cap_${name}` : `cap_${n}`;
}

/** Made at the first lookup by name: a step-down that names no capability never needs it. */
let byName: Map<string, number> | undefined;

export function capNumberOf(shortName: string): number | undefined {
  byName ??= new Map<string, number>(CAP_NAMES.map((n, i) => [n, i]));
  return byName.get(shortName);
}
