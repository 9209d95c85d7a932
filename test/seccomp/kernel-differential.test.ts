// Kernel truth for the interpreter and the validator: random and hand-picked programs installed
// for real (kernel-harness.c), every install errno and every syscall outcome compared with what
// sbx says. `bun scripts/seccomp-kernel-diff.ts` runs the same comparison for longer.
import { describe, expect, test } from "bun:test";
import { requireTools } from "../support/privileged.ts";
import { buildHarness, differential, programSet, TARGETED } from "./kernel-differential.ts";

describe.skipIf(process.arch !== "x64" || process.platform !== "linux")("the kernel decides what sbx's interpreter decides (x86_64)", () => {
  test(`${TARGETED.length} hand-picked and 1500 random programs: same refusals, same outcome for every call`, () => {
    requireTools("gcc");
    const report = differential(buildHarness(), programSet(0x5eccc0, 1500));
    expect(report.disagreements).toEqual([]);
    expect(report.unusable).toEqual([]);
    expect(report.refused).toBeGreaterThan(50);
    expect(report.decisions).toBeGreaterThan(20_000);
    console.log(`kernel differential: ${report.programs} programs (${report.refused} refused by both), ${report.decisions} decisions, all equal`);
  }, 120_000);
});
