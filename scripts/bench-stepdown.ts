// Step-down cost against the peer tools, measured in the same run: wall time per start and peak
// RSS of the whole process (in-place exec, so the tool's own image counts) to `true` as nobody.
// Prints ratios against gosu; not a test, so machine noise never fails CI.
//   bun run scripts/bench-stepdown.ts [runs]
import { existsSync } from "node:fs";

const runs = Number(process.argv[2] ?? 200);
const SBX = "dist/sbx";
if (!existsSync(SBX)) throw new Error("build first: npm run build");

const tools: Record<string, string[]> = {
  "sbx exec": [SBX, "exec", "--user", "nobody", "--", "true"],
  gosu: ["gosu", "nobody", "true"],
  setpriv: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--bounding-set=-all", "--inh-caps=-all", "--nnp", "true"],
  "sbx caps": [SBX, "caps", "--json"],
};

function measure(cmd: string[]) {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = Bun.nanoseconds();
    const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
    times.push((Bun.nanoseconds() - t0) / 1e6);
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}: ${r.stderr}`);
    rss = Math.max(rss, r.resourceUsage.maxRSS);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)]!, p90: times[Math.floor(runs * 0.9)]!, rssMiB: rss / 2 ** 20 };
}

const results = Object.fromEntries(Object.entries(tools).map(([name, cmd]) => [name, measure(cmd)]));
const base = results.gosu!;
console.log(`${runs} runs each; ratios against gosu measured in this run`);
console.log("tool        median ms   p90 ms   peak RSS MiB   time ×gosu   RSS ×gosu");
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(10)} ${r.median.toFixed(2).padStart(9)} ${r.p90.toFixed(2).padStart(8)} ${r.rssMiB.toFixed(1).padStart(14)} ` +
      `${(r.median / base.median).toFixed(2).padStart(11)} ${(r.rssMiB / base.rssMiB).toFixed(2).padStart(11)}`,
  );
}
