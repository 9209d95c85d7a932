// `sbx caps --absent/--empty`: the checks shell tests used to do by decoding CapBnd by hand.
import { capName } from "../caps/names.ts";
import { capsOf, hasCap, toHex, type CapMask } from "../caps/mask.ts";
import { quote } from "../text/quote.ts";
import { CAP_SET_NAMES, type CapSetName, type ProcessState } from "./types.ts";

export class SetNameError extends Error {}

/**
 * "bounding,ambient" or "all" → set names. Every item is checked, wherever "all" stands: an
 * assertion with a typo in it must not pass as another assertion. Empty items are errors too.
 */
export function parseSetNames(text: string): CapSetName[] {
  const out = new Set<CapSetName>();
  for (const raw of text.split(",").map((s) => s.trim().toLowerCase())) {
    if (raw === "all") CAP_SET_NAMES.forEach((n) => out.add(n));
    else if ((CAP_SET_NAMES as readonly string[]).includes(raw)) out.add(raw as CapSetName);
    else if (raw === "") throw new SetNameError(`empty item in capability set list ${quote(text)}`);
    else throw new SetNameError(`unknown capability set ${quote(raw)} (valid: ${CAP_SET_NAMES.join(", ")}, all)`);
  }
  return [...out];
}

/** One line per cap in `absent` that is still in any set, naming the sets. */
export function checkAbsent(s: ProcessState, absent: CapMask): string[] {
  return capsOf(absent).flatMap((cap) => {
    const where = CAP_SET_NAMES.filter((set) => hasCap(s.caps[set], cap));
    return where.length ? [`${capName(cap)} is present in: ${where.join(", ")}`] : [];
  });
}

/** One line per named set that is not empty, with its hex and names. */
export function checkEmpty(s: ProcessState, sets: readonly CapSetName[]): string[] {
  return sets.flatMap((set) => {
    const m = s.caps[set];
    return m === 0n ? [] : [`${set} set is not empty: ${toHex(m)} (${capsOf(m).map(capName).join(",")})`];
  });
}
