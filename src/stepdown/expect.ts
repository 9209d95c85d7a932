// What verification compares, pure: the state read back against the plan's expectation, every
// bit of every set (0..63) and all four ids, so that nothing the kernel shows can differ from the
// report. A degradation the operator allowed changes the expectation in exactly one named way.
import { type CapMask, names, toHex } from "../caps/mask.ts";
import type { IdSet, ProcessState } from "../state/types.ts";
import type { Degradation } from "./degrade.ts";
import type { Expected } from "./ops.ts";

const idsText = (x: IdSet) => `${x.real}/${x.effective}/${x.saved}/${x.fs}`;
const capsText = (m: CapMask) => `${toHex(m)} (${names(m).join(",") || "none"})`;
const sortedText = (g: readonly number[]) => [...new Set(g)].sort((a, b) => a - b).join(",");

/** One line per property that differs, naming it, the expected and the actual value. */
export function compareState(want: Expected, got: ProcessState): string[] {
  const out: string[] = [];
  if (idsText(want.uid) !== idsText(got.uid)) out.push(`uid is ${idsText(got.uid)} (real/effective/saved/fs), expected ${idsText(want.uid)}`);
  if (idsText(want.gid) !== idsText(got.gid)) out.push(`gid is ${idsText(got.gid)}, expected ${idsText(want.gid)}`);
  if (sortedText(want.groups) !== sortedText(got.groups)) out.push(`groups are [${sortedText(got.groups)}], expected [${sortedText(want.groups)}]`);
  const caps: Array<[string, CapMask | null, CapMask]> = [
    ["bounding", want.bounding, got.caps.bounding],
    ["inheritable", want.inheritable, got.caps.inheritable],
    ["ambient", want.ambient, got.caps.ambient],
    ["permitted", want.permitted, got.caps.permitted],
    ["effective", want.effective, got.caps.effective],
  ];
  for (const [set, w, g] of caps) if (w !== null && w !== g) out.push(`${set} set is ${capsText(g)}, expected ${capsText(w)}`);
  if (got.securebits !== want.securebits) out.push(`securebits are 0x${(got.securebits ?? 0).toString(16)}, expected 0x${want.securebits.toString(16)}`);
  if (got.noNewPrivs !== want.noNewPrivs) out.push(`no_new_privs is ${got.noNewPrivs ? 1 : 0}, expected ${want.noNewPrivs ? 1 : 0}`);
  return out;
}

/** What the run achieved instead, where an allowed degradation happened while running. */
export type Shortfall =
  | { name: Extract<Degradation, "groups">; groups: number[] }
  | { name: Extract<Degradation, "bounding">; residual: CapMask }
  | { name: Extract<Degradation, "nnp">; noNewPrivs: boolean };

/** The expectation once a degradation happened: that one property is what it could be, the rest unchanged. */
export function shortOf(want: Expected, s: Shortfall): Expected {
  switch (s.name) {
    case "groups":
      return { ...want, groups: s.groups };
    case "bounding":
      return { ...want, bounding: s.residual };
    case "nnp":
      return { ...want, noNewPrivs: s.noNewPrivs };
  }
}
