// 64-bit capability masks, as the kernel and /proc/<pid>/status show them.
import { capName } from "./names.ts";

export type CapMask = bigint;

export const capBit = (n: number): CapMask => 1n << BigInt(n);

export function hasCap(mask: CapMask, n: number): boolean {
  return (mask & capBit(n)) !== 0n;
}

/** Cap numbers set in the mask, ascending. */
export function capsOf(mask: CapMask): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if (hasCap(mask, i)) out.push(i);
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
  const t = text.trim().replace(/^0x/i, "");
  if (!/^[0-9a-f]{1,16}$/i.test(t)) return undefined;
  return BigInt("0x" + t);
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
