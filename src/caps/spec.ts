// Parsing capability names and setpriv-style lists ("-all,+net_bind_service"). Pure: the
// kernel's last cap is passed in, so unit tests can pretend to run on any kernel.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { applyEdits, type Edit, EditError, parseEdits } from "./edits.ts";
import { capBit, type CapMask, fullMask } from "./mask.ts";
import { capNumberOf } from "./names.ts";

export class CapSpecError extends Error {}

/**
 * One capability: "cap_sys_admin", "CAP_SYS_ADMIN", "sys_admin", "21", or "cap_41" for a cap
 * newer than our table that the running kernel has.
 */
export function parseCap(token: ByteString, lastCap: number): number {
  const t = token.trim().toLowerCase();
  const bare = t.startsWith("cap_") ? t.slice(4) : t;
  const n = /^\d{1,3}$/.test(bare) ? Number(bare) : capNumberOf(bare);
  if (n === undefined) throw new CapSpecError(`unknown capability ${quote(token)}`);
  if (n > lastCap) throw new CapSpecError(`capability ${quote(token)} (${n}) is not supported by this kernel (last cap is ${lastCap})`);
  return n;
}

const capOrAll = (item: ByteString, lastCap: number): CapMask => (item.trim().toLowerCase() === "all" ? fullMask(lastCap) : capBit(parseCap(item, lastCap)));

/** A comma list of caps, or "all" (every cap up to the kernel's last, including unnamed ones). */
export function parseCapList(text: ByteString, lastCap: number): CapMask {
  if (text.trim() === "") return 0n;
  const items = text.split(",");
  if (items.some((s) => s.trim() === "")) throw new CapSpecError(`empty item in capability list ${quote(text)}`);
  let m = 0n;
  for (const item of items) m |= capOrAll(item, lastCap);
  return m;
}

/** setpriv's modify syntax: each item +cap, -cap, +all or -all. */
export function parseCapEdits(text: ByteString, lastCap: number): Edit<CapMask>[] {
  try {
    return parseEdits(text, (item) => capOrAll(item, lastCap), "-all,+net_bind_service", "capability list");
  } catch (e) {
    if (e instanceof EditError) throw new CapSpecError(e.message);
    throw e;
  }
}

/** The edits of `text` applied, left to right, to `start`. */
export function applyCapEdits(start: CapMask, text: ByteString, lastCap: number): CapMask {
  return applyEdits(start, parseCapEdits(text, lastCap));
}
