// What the argument rules of one syscall decide, as a decision diagram over the 32-bit words of
// its arguments. Every word is looked at once on a path, in a fixed order (a0 high, a0 low, a1
// high, …), and one test on it serves every rule that compares it: the rules of a syscall share
// their work instead of being tried one after another. The compiler turns the diagram into BPF;
// the policy asks it which actions a rule can still produce (shadowed-rule warnings).
import type { Operator } from "./profile.ts";

const WORD_MAX = 0xffffffff;

/** Words in the order they are examined: 2·i is args[i]'s high half, 2·i + 1 its low half. */
export type Word = number;
export const highWord = (arg: number): Word => 2 * arg;
export const lowWord = (arg: number): Word => 2 * arg + 1;

/** On [lo, hi] the predicate is true, false, or decided by a predicate on a later word. */
interface Piece {
  lo: number;
  hi: number;
  then: boolean | Pred;
}

/** A test on one word: piecewise over value ranges, or `(w & mask) == value`. */
export type Pred = { word: Word; kind: "ranges"; pieces: readonly Piece[] } | { word: Word; kind: "masked"; mask: number; value: number };

/** Conditions that must all hold, and what the rule decides then. */
export interface DecisionRule {
  preds: readonly Pred[];
  result: number;
}

export type Node =
  | { kind: "leaf"; result: number }
  /** `ranges[i]` covers [ranges[i].lo, ranges[i+1].lo); the first starts at 0. */
  | { kind: "ranges"; word: Word; ranges: readonly { lo: number; node: Node }[] }
  | { kind: "masked"; word: Word; mask: number; value: number; then: Node; else: Node };

const high = (v: bigint) => Number(v >> 32n) >>> 0;
const low = (v: bigint) => Number(v & 0xffffffffn) >>> 0;

/** [lo, hi] pieces, empty ones left out. */
function pieces(...list: [number, number, boolean | Pred][]): Piece[] {
  return list.filter(([lo, hi]) => lo <= hi).map(([lo, hi, then]) => ({ lo, hi, then }));
}

/** `w < k` (below) or `w <= k` as pieces, for an ordering on one word. */
const lowPred = (word: Word, k: number, inclusive: boolean, below: boolean): Pred => {
  const cut = inclusive ? k : k - 1; // last value on the "below" side
  return { word, kind: "ranges", pieces: pieces([0, cut, below], [cut + 1, WORD_MAX, !below]) };
};

/**
 * A 64-bit comparison of args[arg] as predicates on its two words: the high word decides the
 * ordering unless it equals the constant's, then the low word does. MASKED_EQ is one test per
 * half whose mask is not 0 (libseccomp's `(arg & value) == (valueTwo & value)`).
 */
export function predsOf(arg: number, op: Operator, value: bigint, valueTwo: bigint): readonly Pred[] {
  // The same comparison gives the same objects, whose ids (idOf) are then known.
  const key = `${arg} ${op} ${value} ${valueTwo}`;
  let preds = predsByComparison.get(key);
  if (!preds) predsByComparison.set(key, (preds = comparisonPreds(arg, op, value, valueTwo)));
  return preds;
}
const predsByComparison = new Map<string, readonly Pred[]>();

function comparisonPreds(arg: number, op: Operator, value: bigint, valueTwo: bigint): Pred[] {
  const [hw, lw] = [highWord(arg), lowWord(arg)];
  const [vh, vl] = [high(value), low(value)];
  const onHigh = (below: boolean | Pred, equal: Pred | boolean, above: boolean | Pred): Pred[] => [
    { word: hw, kind: "ranges", pieces: pieces([0, vh - 1, below], [vh, vh, equal], [vh + 1, WORD_MAX, above]) },
  ];
  const eqLow = (equal: boolean): Pred => ({ word: lw, kind: "ranges", pieces: pieces([0, vl - 1, !equal], [vl, vl, equal], [vl + 1, WORD_MAX, !equal]) });
  switch (op) {
    case "SCMP_CMP_EQ":
      return onHigh(false, eqLow(true), false);
    case "SCMP_CMP_NE":
      return onHigh(true, eqLow(false), true);
    case "SCMP_CMP_LT":
      return onHigh(true, lowPred(lw, vl, false, true), false);
    case "SCMP_CMP_LE":
      return onHigh(true, lowPred(lw, vl, true, true), false);
    case "SCMP_CMP_GT":
      return onHigh(false, lowPred(lw, vl, true, false), true);
    case "SCMP_CMP_GE":
      return onHigh(false, lowPred(lw, vl, false, false), true);
    case "SCMP_CMP_MASKED_EQ": {
      const datum = valueTwo & value;
      return [
        { word: hw, kind: "masked" as const, mask: high(value), value: high(datum) },
        { word: lw, kind: "masked" as const, mask: low(value), value: low(datum) },
      ].filter((p) => p.mask !== 0);
    }
  }
}

/** What is known about the word being examined on this path: a range and masked tests passed or failed. */
interface Space {
  word: Word;
  lo: number;
  hi: number;
  /** The bits the passed tests (and failed one-bit tests) fix; null when they contradict each other. */
  has: Cube | null;
  /** Failed tests that still leave more than one bit open. */
  lacks: Cube[];
}

interface Cube {
  mask: number;
  value: number;
}
const meets = (a: Cube, b: Cube) => ((a.value ^ b.value) & a.mask & b.mask) === 0;
const contains = (a: Cube, b: Cube) => (a.mask & ~b.mask) === 0 && ((a.value ^ b.value) & a.mask) === 0;

/** Whether the cubes `lacking` together cover all of `c`: split c on a bit they fix until each part is decided. */
function covered(c: Cube, lacking: readonly Cube[]): boolean {
  const relevant = lacking.filter((l) => meets(l, c));
  if (relevant.some((l) => contains(l, c))) return true;
  if (relevant.length === 0) return false;
  const free = relevant[0]!.mask & ~c.mask;
  const bit = free & -free;
  return [0, bit].every((v) => covered({ mask: (c.mask | bit) >>> 0, value: (c.value | v) >>> 0 }, relevant));
}

/**
 * The space with one more test passed (`pass`) or failed. Kept small: a failed test that the
 * fixed bits already contradict says nothing; one that leaves a single bit open fixes that bit
 * the other way; one the fixed bits satisfy leaves nothing.
 */
function withTest(s: Space, test: Cube, pass: boolean): Space {
  let has: Cube | null = s.has;
  let lacks = pass ? s.lacks : [...s.lacks, test];
  if (pass && has) has = meets(has, test) ? { mask: (has.mask | test.mask) >>> 0, value: (has.value | test.value) >>> 0 } : null;
  for (let changed = true; changed && has; ) {
    changed = false;
    const open: Cube[] = [];
    for (const l of lacks) {
      if (!meets(l, has)) continue;
      const free: number = (l.mask & ~has.mask) >>> 0;
      if (free === 0) {
        has = null; // every value left passes the test it failed
        break;
      }
      if ((free & (free - 1)) === 0) {
        has = { mask: (has.mask | free) >>> 0, value: (has.value | (~l.value & free)) >>> 0 };
        changed = true;
      } else open.push(l);
    }
    lacks = open;
  }
  return { ...s, has, lacks: has ? lacks : [] };
}

/** Whether `space` holds a value: [lo, hi] as aligned blocks, each a cube, met with the passed tests and not covered by the failed ones. */
function inhabited(s: Space): boolean {
  if (s.has !== null && s.lacks.length === 0 && s.lo === 0 && s.hi === WORD_MAX) return true;
  const has = s.has;
  if (has === null) return false;
  for (let lo = s.lo; lo <= s.hi; ) {
    let size = 1;
    while (size < 2 ** 32 && lo % (size * 2) === 0 && lo + size * 2 - 1 <= s.hi) size *= 2;
    const block = { mask: (WORD_MAX - (size - 1)) >>> 0, value: lo };
    if (meets(block, has)) {
      const c = { mask: (block.mask | has.mask) >>> 0, value: (block.value | has.value) >>> 0 };
      if (!covered(c, s.lacks)) return true;
    }
    lo += size;
  }
  return false;
}

const ids = new WeakMap<Pred, number>();
const idsByText = new Map<string, number>();
/** Equal predicates have equal ids. */
function idOf(p: Pred): number {
  let id = ids.get(p);
  if (id === undefined) {
    const text = JSON.stringify(p);
    id = idsByText.get(text) ?? idsByText.size;
    idsByText.set(text, id);
    ids.set(p, id);
  }
  return id;
}
const same = (a: Pred, b: Pred) => idOf(a) === idOf(b);

/**
 * A rule still to test everything an earlier rule still tests can never decide: wherever it
 * would match, the earlier one matches first.
 */
function withoutCovered(rules: readonly DecisionRule[]): DecisionRule[] {
  // Kept rules by their first predicate: only those can cover a rule that has that predicate.
  const byFirst = new Map<number, number[][]>();
  return rules.filter((r) => {
    const mine = r.preds.map(idOf);
    if (mine.some((id) => byFirst.get(id)?.some((earlier) => earlier.every((e) => mine.includes(e))))) return false;
    const first = mine[0] ?? -1;
    byFirst.set(first, [...(byFirst.get(first) ?? []), mine]);
    return true;
  });
}

/** A rule's predicates after the range pieces on `word` were decided for the values in [lo, hi]; null: it cannot match. */
function narrowed(rule: DecisionRule, word: Word, lo: number, hi: number): DecisionRule | null {
  const preds: Pred[] = [];
  for (const p of rule.preds) {
    if (p.word !== word || p.kind !== "ranges") {
      preds.push(p);
      continue;
    }
    const piece = p.pieces.find((x) => x.lo <= lo && hi <= x.hi)!;
    if (piece.then === false) return null;
    if (piece.then !== true) preds.push(piece.then);
  }
  return { preds, result: rule.result };
}

/** Rules in the order they are tried (the first that matches decides), and what applies when none does. */
export class DecisionBuilder {
  private readonly memo = new Map<string, Node>();
  private readonly leaves = new Map<number, Node>();

  build(rules: readonly DecisionRule[], fallback: number, space?: Space): Node {
    // A rule with nothing left to test decides for everything the rules after it would.
    const firstDone = rules.findIndex((r) => r.preds.length === 0);
    let live = withoutCovered(firstDone < 0 ? rules : rules.slice(0, firstDone));
    const otherwise = firstDone < 0 ? fallback : rules[firstDone]!.result;
    while (live.length > 0 && live.at(-1)!.result === otherwise) live.pop();
    if (live.every((r) => r.result === otherwise)) live = [];
    if (live.length === 0) return this.leaf(otherwise);

    let word = Infinity;
    for (const r of live) for (const p of r.preds) word = Math.min(word, p.word);
    const here: Space = space?.word === word ? space : { word, lo: 0, hi: WORD_MAX, has: { mask: 0, value: 0 }, lacks: [] };
    const cubes = (cs: readonly Cube[]) => cs.map((c) => `${c.mask}/${c.value}`).join(",");
    const key = `${otherwise} ${here.word} ${here.lo}-${here.hi} ${cubes(here.has ? [here.has] : [])} ${cubes(here.lacks)} ${live.map((r) => `${r.result}:${r.preds.map(idOf).join(",")}`).join(" ")}`;
    const known = this.memo.get(key);
    if (known) return known;
    const node = this.dispatch(live, otherwise, here);
    this.memo.set(key, node);
    return node;
  }

  /**
   * Leading rules that each make one masked test on the word being examined, tried in order: a
   * chain of tests, built in one pass (the usual list of alternatives); the rules after them
   * follow where every test failed. Tests the earlier failures already decide are left out.
   */
  private alternatives(live: readonly DecisionRule[], otherwise: number, here: Space): Node {
    const steps: { test: Extract<Pred, { kind: "masked" }>; result: number }[] = [];
    let space = here;
    let end: Node | undefined;
    let i = 0;
    for (; i < live.length && live[i]!.preds.length === 1 && live[i]!.preds[0]!.word === here.word; i++) {
      const rule = live[i]!;
      const test = rule.preds[0] as Extract<Pred, { kind: "masked" }>;
      if (!inhabited(withTest(space, test, true))) continue; // already known to fail
      const failed = withTest(space, test, false);
      if (!inhabited(failed)) {
        end = this.leaf(rule.result); // already known to pass
        break;
      }
      steps.push({ test, result: rule.result });
      space = failed;
    }
    if (!end) {
      // Where every test failed, a later rule making one of them cannot match.
      const failedTests = new Set(steps.map((s) => idOf(s.test)));
      const rest = live.slice(i).filter((r) => !r.preds.some((p) => failedTests.has(idOf(p))));
      end = this.build(rest, otherwise, space);
    }
    return steps.reduceRight<Node>((next, { test, result }) => {
      const then = this.leaf(result);
      return then === next ? next : { kind: "masked", word: here.word, mask: test.mask, value: test.value, then, else: next };
    }, end!);
  }

  private leaf(result: number): Node {
    let node = this.leaves.get(result);
    if (!node) this.leaves.set(result, (node = { kind: "leaf", result }));
    return node;
  }

  private dispatch(live: DecisionRule[], otherwise: number, here: Space): Node {
    const word = here.word;
    const ranged = live.flatMap((r) => r.preds).filter((p) => p.word === word && p.kind === "ranges");
    if (ranged.length > 0) {
      // The pieces of every comparison on this word cut it into intervals on which each is constant.
      const cuts = new Set<number>([here.lo]);
      for (const p of ranged) for (const piece of p.kind === "ranges" ? p.pieces : []) {
        if (piece.lo > here.lo && piece.lo <= here.hi) cuts.add(piece.lo);
        if (piece.hi + 1 > here.lo && piece.hi < here.hi) cuts.add(piece.hi + 1);
      }
      const starts = [...cuts].sort((a, b) => a - b);
      const intervalOf = (value: number) => {
        let [lo, hi] = [0, starts.length - 1];
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= value) lo = mid;
          else hi = mid - 1;
        }
        return lo;
      };
      // For each interval, the rules that can still match there, in order: a rule whose pieces
      // are false on most of the word (an EQ) is looked at only where they are not.
      const candidates: number[][] = starts.map(() => []);
      live.forEach((rule, r) => {
        let where: Set<number> | undefined;
        for (const p of rule.preds) {
          if (p.word !== word || p.kind !== "ranges") continue;
          const open = new Set<number>();
          for (const piece of p.pieces) {
            if (piece.then === false || piece.hi < here.lo || piece.lo > here.hi) continue;
            const [from, to] = [intervalOf(Math.max(piece.lo, here.lo)), intervalOf(Math.min(piece.hi, here.hi))];
            for (let i = from; i <= to; i++) if (!where || where.has(i)) open.add(i);
          }
          where = open;
        }
        for (let i = 0; i < starts.length; i++) if (!where || where.has(i)) candidates[i]!.push(r);
      });
      const ranges: { lo: number; node: Node }[] = [];
      starts.forEach((lo, i) => {
        const hi = i + 1 < starts.length ? starts[i + 1]! - 1 : here.hi;
        const space = { ...here, lo, hi };
        if (!inhabited(space)) return;
        const rules = candidates[i]!.map((r) => narrowed(live[r]!, word, lo, hi)).filter((r): r is DecisionRule => r !== null);
        const node = this.build(rules, otherwise, space);
        if (ranges.at(-1)?.node !== node) ranges.push({ lo, node });
      });
      if (ranges.length === 1) return ranges[0]!.node;
      ranges[0] = { lo: 0, node: ranges[0]!.node }; // values below here.lo do not reach this node
      return { kind: "ranges", word, ranges };
    }
    if (live[0]!.preds.length === 1 && live[0]!.preds[0]!.word === word) return this.alternatives(live, otherwise, here);
    const test = live.flatMap((r) => r.preds).find((p) => p.word === word)! as Extract<Pred, { kind: "masked" }>;
    const passed = withTest(here, test, true);
    const failed = withTest(here, test, false);
    // The first rule tests only this: passing it decides (the usual chain of alternatives).
    const decidedBy = live[0]!.preds.length === 1 && same(live[0]!.preds[0]!, test) ? this.leaf(live[0]!.result) : undefined;
    const then = !inhabited(passed)
      ? undefined
      : (decidedBy ?? this.build(live.map((r) => ({ preds: r.preds.filter((p) => !same(p, test)), result: r.result })), otherwise, passed));
    const otherwiseNode = inhabited(failed) ? this.build(live.filter((r) => !r.preds.some((p) => same(p, test))), otherwise, failed) : undefined;
    if (!then) return otherwiseNode!;
    if (!otherwiseNode || then === otherwiseNode) return then;
    return { kind: "masked", word, mask: test.mask, value: test.value, then, else: otherwiseNode };
  }
}

/** Whether some value of the words passes all of `preds`. */
export function satisfiable(preds: readonly Pred[]): boolean {
  // One test per word: each on its own (a ranges test passes where a piece is true or leads to a passable test).
  const words = preds.map((p) => p.word);
  const alone = (p: Pred): boolean => p.kind === "masked" || p.pieces.some((x) => x.then === true || (x.then !== false && alone(x.then)));
  if (new Set(words).size === words.length && preds.every((p) => p.kind === "masked" || !p.pieces.some((x) => typeof x.then === "object" && words.includes(x.then.word)))) {
    return preds.every(alone);
  }
  return results(new DecisionBuilder().build([{ preds, result: 1 }], 0)).has(1);
}

/** The results a diagram can produce. */
export function results(node: Node, seen = new Set<Node>(), out = new Set<number>()): Set<number> {
  if (seen.has(node)) return out;
  seen.add(node);
  if (node.kind === "leaf") out.add(node.result);
  else if (node.kind === "ranges") for (const r of node.ranges) results(r.node, seen, out);
  else {
    results(node.then, seen, out);
    results(node.else, seen, out);
  }
  return out;
}
