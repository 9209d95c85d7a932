// Parsing capability names and setpriv-style lists ("-all,+net_bind_service"). Pure: the
// kernel's last cap is passed in, so unit tests can pretend to run on any kernel.
import { capNumberOf } from "./names.ts";
import { capBit, type CapMask, fullMask } from "./mask.ts";

export class CapSpecError extends Error {}

/**
 * One capability: "cap_sys_admin", "CAP_SYS_ADMIN", "sys_admin", "21", or "cap_41" for a cap
 * newer than our table that the running kernel has.
 */
export function parseCap(token: string, lastCap: number): number {
  const t = token.trim().toLowerCase();
  const bare = t.startsWith("cap_") ? t.slice(4) : t;
  const n = /^\d{1,3}$/.test(bare) ? Number(bare) : capNumberOf(bare);
  if (n === undefined) throw new CapSpecError(`unknown capability "${token}"`);
  if (n > lastCap) {
    throw new CapSpecError(
      `capability "${token}" (${n}) is not supported by this kernel (last cap is ${lastCap})`,
    );
  }
  return n;
}

/** A comma list of caps, or "all" (every cap up to the kernel's last, including unnamed ones). */
export function parseCapList(text: string, lastCap: number): CapMask {
  let m = 0n;
  for (const tok of splitList(text)) {
    m |= tok.toLowerCase() === "all" ? fullMask(lastCap) : capBit(parseCap(tok, lastCap));
  }
  return m;
}

/**
 * setpriv's modify syntax applied to a starting mask: every item is +cap, -cap, +all or -all,
 * applied left to right. A bare name without a sign is an error, as in setpriv.
 */
export function applyCapEdits(start: CapMask, text: string, lastCap: number): CapMask {
  let m = start;
  const items = splitList(text);
  if (items.length === 0) throw new CapSpecError("empty capability list");
  for (const item of items) {
    const sign = item[0];
    if (sign !== "+" && sign !== "-") {
      throw new CapSpecError(`"${item}": each item needs a + or - (e.g. -all,+net_bind_service)`);
    }
    const rest = item.slice(1);
    const bits = rest.toLowerCase() === "all" ? fullMask(lastCap) : capBit(parseCap(rest, lastCap));
    m = sign === "+" ? m | bits : m & ~bits;
  }
  return m;
}

function splitList(text: string): string[] {
  const items = text.split(",").map((s) => s.trim());
  const empty = items.findIndex((s) => s === "");
  if (text.trim() !== "" && empty >= 0) throw new CapSpecError(`empty item in capability list "${text}"`);
  return text.trim() === "" ? [] : items;
}
