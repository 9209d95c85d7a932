// Securebits (include/uapi/linux/securebits.h). Each flag has a lock bit right above it.
export const SECUREBIT_FLAGS = [
  "noroot", "no_setuid_fixup", "keep_caps", "no_cap_ambient_raise",
  "exec_restrict_file", "exec_deny_interactive", // Linux 6.14
] as const;

export type SecurebitFlag = (typeof SECUREBIT_FLAGS)[number];

export const securebitMask = (f: SecurebitFlag) => 1 << (2 * SECUREBIT_FLAGS.indexOf(f));
export const securebitLockMask = (f: SecurebitFlag) => 1 << (2 * SECUREBIT_FLAGS.indexOf(f) + 1);

export interface SecurebitState {
  set: boolean;
  locked: boolean;
}

export function decodeSecurebits(bits: number): Record<SecurebitFlag, SecurebitState> {
  return Object.fromEntries(
    SECUREBIT_FLAGS.map((f) => [
      f,
      { set: (bits & securebitMask(f)) !== 0, locked: (bits & securebitLockMask(f)) !== 0 },
    ]),
  ) as Record<SecurebitFlag, SecurebitState>;
}
