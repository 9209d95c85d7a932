// The kernel differential of test/seccomp/kernel-differential.test.ts, for longer: random
// classic-BPF programs installed for real (as root, x86_64, gcc needed) and every install errno
// and syscall outcome compared with sbx's validator and interpreter.
//
//   bun scripts/seccomp-kernel-diff.ts [--programs N] [--seed S]      (default 20000 programs)
//
// Exits 1 and lists the first disagreements when there are any.
import { parseArgs } from "node:util";
import { buildHarness, differential, programSet } from "../test/seccomp/kernel-differential.ts";

const { values } = parseArgs({ options: { programs: { type: "string", default: "20000" }, seed: { type: "string", default: String(Date.now() & 0xffffffff) } } });
const total = Number(values.programs);
const seed = Number(values.seed);
const harness = buildHarness();
const BATCH = 2000; // one harness run per batch keeps its input and output small
let [programs, refused, decisions] = [0, 0, 0];
const disagreements: string[] = [];
for (let done = 0; done < total; done += BATCH) {
  const report = differential(harness, programSet(seed + done, Math.min(BATCH, total - done)));
  programs += report.programs;
  refused += report.refused;
  decisions += report.decisions;
  disagreements.push(...report.disagreements);
  if (report.unusable.length > 0) console.log(`calls left out: ${report.unusable.join("; ")}`);
}
console.log(`seed ${seed}: ${programs} programs run in the kernel (${refused} refused by both), ${decisions} decisions compared, ${disagreements.length} disagreements`);
for (const d of disagreements.slice(0, 20)) console.log(`  ${d}`);
process.exit(disagreements.length > 0 ? 1 : 0);
