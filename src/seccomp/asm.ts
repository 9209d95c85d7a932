// Symbolic BPF: instructions that jump to labels, turned into offsets. Conditional jumps only
// reach 255 instructions ahead (jt/jf are 8 bits), so a branch that lands further away goes
// through an unconditional `ja` placed right after it, whose offset is 32 bits.
import { BPF_JA, BPF_JMP, BPF_K, BPF_RET, MAX_INSTRUCTIONS, type Instruction } from "./bpf.ts";

export type Label = number;

export type Item =
  | { kind: "label"; label: Label }
  | { kind: "op"; code: number; k: number }
  | { kind: "branch"; code: number; k: number; jt: Label; jf: Label }
  | { kind: "goto"; target: Label };

export const op = (code: number, k = 0): Item => ({ kind: "op", code, k: k >>> 0 });
export const branch = (code: number, k: number, jt: Label, jf: Label): Item => ({ kind: "branch", code, k: k >>> 0, jt, jf });
export const place = (label: Label): Item => ({ kind: "label", label });
export const ret = (action: number): Item => op(BPF_RET | BPF_K, action);

/** Hands out labels; one per program so they never collide. */
export function labels(): () => Label {
  let next = 0;
  return () => next++;
}

const MAX_BRANCH = 255;

export class ProgramTooLargeError extends Error {
  constructor(readonly instructions: number) {
    super(`the filter needs ${instructions} BPF instructions, more than the kernel's limit of ${MAX_INSTRUCTIONS}`);
  }
}

function positions(items: readonly Item[]): { at: Map<Label, number>; index: number[] } {
  const at = new Map<Label, number>();
  const index: number[] = [];
  let n = 0;
  for (const item of items) {
    index.push(n);
    if (item.kind === "label") at.set(item.label, n);
    else n++;
  }
  return { at, index };
}

/** Gives every too-long conditional branch its own trampoline; repeats until all fit. */
function withTrampolines(items: readonly Item[], fresh: () => Label): Item[] {
  let current = [...items];
  for (;;) {
    const { at, index } = positions(current);
    let changed = false;
    const next: Item[] = [];
    current.forEach((item, i) => {
      if (item.kind !== "branch") {
        next.push(item);
        return;
      }
      const far = (target: Label) => at.get(target)! - (index[i]! + 1) > MAX_BRANCH;
      let { jt, jf } = item;
      const trampolines: Item[] = [];
      for (const side of ["jt", "jf"] as const) {
        const target = item[side];
        if (!far(target)) continue;
        const hop = fresh();
        trampolines.push(place(hop), { kind: "goto", target });
        if (side === "jt") jt = hop;
        else jf = hop;
      }
      next.push({ ...item, jt, jf }, ...trampolines);
      changed ||= trampolines.length > 0;
    });
    if (!changed) return current;
    current = next;
  }
}

/** Resolves labels into jt/jf/k offsets. Every label must come after the jumps to it. */
export function assemble(items: readonly Item[], fresh: () => Label): Instruction[] {
  const laidOut = withTrampolines(items, fresh);
  const { at, index } = positions(laidOut);
  const offset = (target: Label, i: number) => {
    const to = at.get(target);
    if (to === undefined) throw new Error(`BPF label ${target} is never placed`);
    const distance = to - (index[i]! + 1);
    if (distance < 0) throw new Error(`BPF label ${target} is placed before a jump to it`);
    return distance;
  };
  const program: Instruction[] = [];
  laidOut.forEach((item, i) => {
    if (item.kind === "op") program.push({ code: item.code, jt: 0, jf: 0, k: item.k });
    else if (item.kind === "branch") program.push({ code: item.code, jt: offset(item.jt, i), jf: offset(item.jf, i), k: item.k });
    else if (item.kind === "goto") program.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: offset(item.target, i) });
  });
  if (program.length > MAX_INSTRUCTIONS) throw new ProgramTooLargeError(program.length);
  return program;
}
