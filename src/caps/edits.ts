// setpriv's edit grammar, shared by capability sets and securebits: a comma list of +ITEM / -ITEM
// applied left to right to a starting value. A bare ITEM without a sign is an error, as in setpriv.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

export class EditError extends Error {}

export interface Edit<T> {
  sign: "+" | "-";
  item: T;
  /** The item as written, for messages. */
  text: ByteString;
}

/**
 * Parse "+a,-b" into edits. `example` completes the sign message ("e.g. -all,+net_bind_service");
 * `what` names an empty list ("capability list").
 */
export function parseEdits<T>(text: ByteString, parseItem: (item: ByteString) => T, example: string, what: string): Edit<T>[] {
  const items = text.split(",").map((s) => s.trim());
  if (text.trim() === "") throw new EditError(`empty ${what}`);
  if (items.some((s) => s === "")) throw new EditError(`empty item in ${what} ${quote(text)}`);
  return items.map((item) => {
    const sign = item[0];
    if (sign !== "+" && sign !== "-") throw new EditError(`${quote(item)}: each item needs a + or - (e.g. ${example})`);
    return { sign, item: parseItem(item.slice(1)), text: item.slice(1) };
  });
}

/** Apply edits of bit masks to `start`. */
export function applyEdits(start: bigint, edits: readonly Edit<bigint>[]): bigint {
  let m = start;
  for (const e of edits) m = e.sign === "+" ? m | e.item : m & ~e.item;
  return m;
}
