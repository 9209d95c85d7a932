// 64-bit capability masks, as the kernel and /proc/<pid>/status show them.
import { capName } from "./names.ts";

export type CapMask = bigint;

// Masks are BigInts, and every BigInt operation allocates: the per-bit helpers below work on the
// two 32-bit halves as numbers, so reading a whole mask costs two BigInt operations, not 64.
const bits: (CapMask | undefined)[] = [];

export const capBit = (n: number): CapMask => (n >= 0 && n < 64 ? (bits[n] ??= 1n << BigInt(n)) : 1n << BigInt(n));

/** The low and high 32 bits of a 64-bit mask. */
function halves(mask: CapMask): [number, number] {
  return [Number(BigInt.asUintN(32, mask)), Number(BigInt.asUintN(32, mask >> 32n))];
}

export function hasCap(mask: CapMask, n: number): boolean {
  return (mask & capBit(n)) !== 0n;
}

/** Cap numbers set in the mask, ascending. */
export function capsOf(mask: CapMask): number[] {
  const out: number[] = [];
  const [low, high] = halves(mask);
  for (let i = 0; i < 32; i++) if ((low >>> i) & 1) out.push(i);
  for (let i = 0; i < 32; i++) if ((high >>> i) & 1) out.push(32 + i);
  return out;
}

export function maskOf(caps: Iterable<number>): CapMask {
  let m = 0n;
  for (const c of caps) m |= capBit(c);
  return m;
}

/** Every cap from 0 through lastCap. */
export function fullMask(lastCap: number): CapMask {
  return (1n << BigInt(lastCap + 1)) - 1n;
}

/** "000001ffffffffff", the 16-digit form of /proc/<pid>/status. */
export function toHex(mask: CapMask): string {
  return mask.toString(16).padStart(16, "0");
}

/** Parse "0x1ff", "000001ffffffffff" or "1ff"; undefined when it is not a 64-bit hex mask. */
export function parseHex(text: string): CapMask | undefined {
  if (plainHex(text)) return BigInt("0x" + text); // /proc/<pid>/status: no space, no 0x, no regex
  const t = text.trim().replace(/^0x/i, "");
  return plainHex(t) ? BigInt("0x" + t) : undefined;
}

/** 1 to 16 hex digits and nothing else. */
function plainHex(text: string): boolean {
  if (text.length === 0 || text.length > 16) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20; // ASCII letters to lower case
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Short names as capsh prints them (cap_chown,…; numbers above our table printed bare). */
export function names(mask: CapMask): string[] {
  return capsOf(mask).map(capName);
}

/** Exactly what `capsh --decode=HEX` prints. */
export function decodeLikeCapsh(mask: CapMask): string {
  const parts = capsOf(mask).map((n) => {
    const name = capName(n);
    return name === `cap_${n}` ? String(n) : name;
  });
  return `0x${toHex(mask)}=${parts.join(",")}`;
}
