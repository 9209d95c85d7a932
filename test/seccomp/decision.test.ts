// The decision over argument words, read directly (no BPF): it must decide what the rules say, on
// 64-bit values split into words, and know which results it can reach.
import { describe, expect, test } from "bun:test";
import { DecisionBuilder, highWord, lowWord, predsOf, results, satisfiable, type Node } from "../../src/seccomp/decision.ts";
import type { Operator } from "../../src/seccomp/profile.ts";
import { prng } from "./generate.ts";
import { refArgHolds } from "./reference.ts";

/** What the diagram decides for six 64-bit arguments. */
function evaluate(node: Node, args: readonly bigint[]): number {
  const word = (w: number) => {
    const a = args[w >> 1] ?? 0n;
    return Number(w % 2 === 0 ? a >> 32n : a & 0xffffffffn);
  };
  for (;;) {
    if (node.kind === "leaf") return node.result;
    const v = word(node.word);
    if (node.kind === "masked") node = ((v & node.mask) >>> 0) === node.value ? node.then : node.else;
    else node = node.ranges.findLast((r) => r.lo <= v)!.node;
  }
}

const OPS: Operator[] = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
const HIGH = 1n << 32n;
const U64_MAX = (1n << 64n) - 1n;

describe("decisions", () => {
  test("words are examined high half first, argument by argument", () => {
    expect([highWord(0), lowWord(0), highWord(2), lowWord(5)]).toEqual([0, 1, 4, 11]);
  });

  test("the first rule that matches decides; a rule no value can reach is known to be unreachable", () => {
    const a0 = (op: Operator, v: bigint) => predsOf(0, op, v, 0n);
    const node = new DecisionBuilder().build(
      [
        { preds: a0("SCMP_CMP_EQ", 5n), result: 1 },
        { preds: a0("SCMP_CMP_LT", 10n), result: 2 },
        { preds: a0("SCMP_CMP_EQ", 7n), result: 3 }, // inside a0 < 10: never reached
      ],
      0,
    );
    expect([5n, 7n, 9n, 10n, HIGH | 5n].map((v) => evaluate(node, [v]))).toEqual([1, 2, 2, 0, 0]);
    expect([...results(node)].sort()).toEqual([0, 1, 2]);
  });

  test.each([
    ["a0 < 0", [predsOf(0, "SCMP_CMP_LT", 0n, 0n)], false],
    ["a0 > 2^64-1", [predsOf(0, "SCMP_CMP_GT", U64_MAX, 0n)], false],
    ["a0 == 3 and a0 == 4", [predsOf(0, "SCMP_CMP_EQ", 3n, 0n), predsOf(0, "SCMP_CMP_EQ", 4n, 0n)], false],
    ["low bit set and clear", [predsOf(1, "SCMP_CMP_MASKED_EQ", 1n, 1n), predsOf(1, "SCMP_CMP_MASKED_EQ", 1n, 0n)], false],
    ["a0 >= 2^32 and low word 5", [predsOf(0, "SCMP_CMP_GE", HIGH, 0n), predsOf(0, "SCMP_CMP_MASKED_EQ", 0xffffffffn, 5n)], true],
    ["a2 < 3 and a2 masked 0x4 == 0x4", [predsOf(2, "SCMP_CMP_LT", 3n, 0n), predsOf(2, "SCMP_CMP_MASKED_EQ", 4n, 4n)], false],
  ] as const)("%s: satisfiable %p", (_what, preds, want) => {
    expect(satisfiable(preds.flat())).toBe(want);
  });

  test("2000 random rule lists decide, on values around their constants, what the comparisons say", () => {
    const r = prng(7);
    const value = () => r.pick([0n, 1n, 5n, 0xffffffffn, HIGH, HIGH | 5n, U64_MAX, 1n << 63n, r.u64()]);
    for (let i = 0; i < 2000; i++) {
      const rules = Array.from({ length: 1 + r.int(5) }, (_, k) => ({
        args: Array.from({ length: 1 + r.int(3) }, () => ({ index: r.int(3), op: r.pick(OPS), value: value(), valueTwo: value() })),
        result: k + 1,
      }));
      const node = new DecisionBuilder().build(rules.map((x) => ({ preds: x.args.flatMap((a) => predsOf(a.index, a.op, a.value, a.valueTwo)), result: x.result })), 0);
      const near = rules.flatMap((x) => x.args.flatMap((a) => [a.value, a.value + 1n, a.value - 1n, a.valueTwo, a.value ^ HIGH].map((v) => v & U64_MAX)));
      for (let k = 0; k < 20; k++) {
        const args = [0, 1, 2].map(() => (r.chance(0.8) ? r.pick(near) : value()));
        const want = rules.find((x) => x.args.every((a) => refArgHolds(a, args)))?.result ?? 0;
        expect([i, args, evaluate(node, args)]).toEqual([i, args, want]);
      }
    }
  });
});
