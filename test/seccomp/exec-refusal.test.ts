// A .bpf the kernel would refuse is a usage error before any change: `sbx exec` exits 200 and the
// workload never runs, with or without --allow-degraded seccomp; `sbx seccomp check` exits 2.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, type Instruction } from "../../src/seccomp/bpf.ts";
import { sbx } from "../support/sbx.ts";

const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-refusal-"));
const I = (code: number, k = 0): Instruction => ({ code, jt: 0, jf: 0, k });
const RET_ALLOW = I(0x06, 0x7fff0000);

const REFUSED: [string, Instruction[], string][] = [
  ["ret ALLOW; ld #0", [RET_ALLOW, I(0x00, 0)], "instruction 1: the last instruction must return"],
  ["ret ALLOW; ja +100; ret", [RET_ALLOW, I(0x05, 100), RET_ALLOW], "instruction 1: jumps past the end"],
  ["ret ALLOW; ld M[0]; ret a", [RET_ALLOW, I(0x60, 0), I(0x16)], "instruction 1: reads scratch word 0 before any write to it"],
];

describe("a program the kernel would refuse", () => {
  for (const [what, program, reason] of REFUSED) {
    const file = join(dir, `${what.replace(/\W+/g, "_")}.bpf`);
    writeFileSync(file, encode(program));
    for (const extra of [[], ["--allow-degraded", "seccomp"]]) {
      test(`${what}: sbx exec ${extra.join(" ")} exits 200 before running anything`, () => {
        const marker = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
        const r = sbx(["exec", "--user", "nobody", ...extra, "--seccomp", file, "--", "sh", "-c", `touch ${marker}`]);
        expect([r.code, r.stderr.trim().split("\n")]).toEqual([200, [expect.stringContaining(`${file}: the kernel would refuse this program: ${reason}`)]]);
        expect(existsSync(marker)).toBe(false);
      });
    }
    test(`${what}: sbx seccomp check exits 2`, () => {
      const r = sbx(["seccomp", "check", file, "read"]);
      expect([r.code, r.stdout, r.stderr.trim()]).toEqual([2, "", `sbx: ${file}: the kernel would refuse this program: ${reason}`]);
    });
  }
});
