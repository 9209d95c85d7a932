// Numeric uids and gids, one rule for user specs, group lists and the passwd/group files.

/**
 * Largest accepted id: moby/sys/user's maxId (gosu, runc, containerd). The kernel would take up
 * to 2^32-2, but -1 (2^32-1) means "unchanged" to setres*id, and 32-bit tools overflow above this.
 */
export const MAX_ID = 2 ** 31 - 1;

/** "0", "1000": plain decimal, no sign, no leading zero, within 0..MAX_ID. */
export function parseId(text: string): number | undefined {
  // /^(0|[1-9][0-9]{0,9})$/, spelled out: this runs for every line of /etc/passwd and /etc/group.
  if (text.length > 10 || (text.length > 1 && text.charCodeAt(0) === 48) || !isDigits(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** One or more ASCII digits and nothing else. */
export function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** How a text that is not a plain id fails to be one; "name" when it is not a number at all. */
export function classifyNonId(text: string): "name" | "out-of-range" | "not-canonical" {
  // /^([+-]?)([0-9]+)$/, spelled out: every user and group name passes through here.
  const sign = text[0] === "+" || text[0] === "-" ? text[0] : "";
  const digits = text.slice(sign.length);
  if (!isDigits(digits)) return "name";
  let isZero = true;
  for (let i = 0; i < digits.length; i++) if (digits.charCodeAt(i) !== 48) isZero = false;
  // A negative id is a range error (as in gosu); "+N", "-0" and "0N" are numbers written in a way
  // gosu reads as the plain id (so "+0" and "00" are root there), which we refuse rather than guess.
  if (sign === "-" && !isZero) return "out-of-range";
  if (sign !== "" || (digits.length > 1 && digits.startsWith("0"))) return "not-canonical";
  return "out-of-range";
}
