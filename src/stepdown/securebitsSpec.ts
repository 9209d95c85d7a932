// --securebits in setpriv's syntax: comma list of +flag / -flag, flag one of noroot,
// no_setuid_fixup, keep_caps, no_cap_ambient_raise, exec_restrict_file, exec_deny_interactive,
// each also as FLAG_locked. Edits apply to the current bits, left to right.
import { SECUREBIT_FLAGS, securebitLockMask, securebitMask, type SecurebitFlag } from "../caps/securebits.ts";

export class SecurebitsSpecError extends Error {}

function bitOf(name: string): number {
  const locked = name.endsWith("_locked");
  const flag = (locked ? name.slice(0, -"_locked".length) : name) as SecurebitFlag;
  if (!SECUREBIT_FLAGS.includes(flag)) {
    const valid = SECUREBIT_FLAGS.flatMap((f) => [f, `${f}_locked`]).join(", ");
    throw new SecurebitsSpecError(`--securebits: unknown flag "${name}" (valid: ${valid})`);
  }
  return locked ? securebitLockMask(flag) : securebitMask(flag);
}

export function applySecurebitEdits(current: number, text: string): number {
  let bits = current;
  const items = text.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw new SecurebitsSpecError(`--securebits: empty item in "${text}"`);
  for (const item of items) {
    const sign = item[0];
    if (sign !== "+" && sign !== "-") {
      throw new SecurebitsSpecError(`--securebits: "${item}" needs a + or - (e.g. +noroot,+noroot_locked)`);
    }
    const bit = bitOf(item.slice(1).toLowerCase());
    bits = sign === "+" ? bits | bit : bits & ~bit;
  }
  return bits;
}
