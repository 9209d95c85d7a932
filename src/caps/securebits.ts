// Securebits (include/uapi/linux/securebits.h). Each flag has a lock bit right above it.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { applyEdits, EditError, parseEdits } from "./edits.ts";

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

export class SecurebitsSpecError extends Error {}

function bitOf(name: ByteString): bigint {
  const lower = name.toLowerCase();
  const locked = lower.endsWith("_locked");
  const flag = (locked ? lower.slice(0, -"_locked".length) : lower) as SecurebitFlag;
  if (!SECUREBIT_FLAGS.includes(flag)) {
    const valid = SECUREBIT_FLAGS.flatMap((f) => [f, `${f}_locked`]).join(", ");
    throw new EditError(`unknown flag ${quote(name)} (valid: ${valid})`);
  }
  return BigInt(locked ? securebitLockMask(flag) : securebitMask(flag));
}

/** `--securebits` in setpriv's syntax (+noroot,+noroot_locked,-keep_caps), applied to `current`. */
export function applySecurebitEdits(current: number, text: ByteString): number {
  try {
    return Number(applyEdits(BigInt(current), parseEdits(text, bitOf, "+noroot,+noroot_locked", "securebits list")));
  } catch (e) {
    if (e instanceof EditError) throw new SecurebitsSpecError(`--securebits: ${e.message}`);
    throw e;
  }
}
