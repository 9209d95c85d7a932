// Start-up cost, measured side by side in one run: the floor (a compiled `process.exit(0)` built
// here with exactly sbx's build flags), sbx's commands, gosu mode, and the peer tools gosu and
// setpriv stepping down to nobody. Every round runs each command once, in a rotating order, so a
// machine whose speed drifts moves them all alike; medians and the per-round ratios to the floor
// and to gosu are printed. Peak RSS comes from GNU time (a child of a Bun process inherits the
// parent's RSS as its starting maximum, so Bun's own resource usage over-reports small programs).
// Then a per-phase breakdown of `sbx exec` from a build with phase marks (src/phases.ts).
// Not a test: no threshold, nothing fails on machine noise.
//   bun run scripts/bench-stepdown.ts [--rounds N] [--phase-runs N] [--sbx PATH]
// as root, with dist/sbx built (--sbx times another build of sbx instead, e.g. an older one; the
// per-phase breakdown always comes from the sources here).
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "./build.ts";

const ROOT = resolve(import.meta.dir, "..");
const option = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string, fallback: number) => Number(option(name) ?? fallback);
const SBX = resolve(option("--sbx") ?? join(ROOT, "dist/sbx"));
const ROUNDS = flag("--rounds", 100);
const WARMUP = 5;
const PHASE_RUNS = flag("--phase-runs", 60);
const RSS_RUNS = 10;

if (!existsSync(SBX)) throw new Error(`${SBX} does not exist: build first (npm run build)`);
if (process.getuid?.() !== 0) throw new Error("run as root: the commands step down to nobody");

const target = `bun-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
const work = mkdtempSync(join(tmpdir(), "sbx-bench-"));
try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function main() {
  writeFileSync(join(work, "floor.ts"), "process.exit(0);\n");
  const floor = join(work, "floor");
  const phased = join(work, "sbx-phases");
  const floorPhased = join(work, "floor-phases");
  // The floor with sbx's first mark: when its first statement runs (src/phases.ts marks "start").
  writeFileSync(join(work, "floor-phases.ts"), `import { flushMarks } from ${JSON.stringify(join(ROOT, "src/phases.ts"))};\nflushMarks((line) => console.error(line));\nprocess.exit(0);\n`);
  await build({ target, outfile: floor, entry: join(work, "floor.ts") });
  await build({ target, outfile: phased, phases: true });
  await build({ target, outfile: floorPhased, entry: join(work, "floor-phases.ts"), phases: true });
  const gosuLink = join(work, "gosu");
  symlinkSync(SBX, gosuLink);

  const commands: Record<string, string[]> = {
    floor: [floor],
    "sbx exec": [SBX, "exec", "--user", "nobody", "--", "true"],
    "sbx exec --seccomp default": [SBX, "exec", "--user", "nobody", "--seccomp", "default", "--", "true"],
    "sbx exec --seccomp sandbox": [SBX, "exec", "--user", "nobody", "--seccomp", "sandbox", "--", "true"],
    "gosu mode": [gosuLink, "nobody", "true"],
    "sbx --version": [SBX, "--version"],
    "sbx caps": [SBX, "caps"],
    "sbx caps --json": [SBX, "caps", "--json"],
    gosu: ["gosu", "nobody", "true"],
    setpriv: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--bounding-set=-all", "--inh-caps=-all", "--nnp", "true"],
  };
  const names = Object.keys(commands);
  const once = (cmd: string[]) => {
    const t0 = performance.now();
    const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
    const ms = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
    return ms;
  };

  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -WARMUP; round < ROUNDS; round++) {
    const offset = ((round % names.length) + names.length) % names.length;
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + offset) % names.length]!;
      const ms = once(commands[name]!);
      if (round >= 0) times[name]!.push(ms);
    }
  }

  const rss = Object.fromEntries(names.map((n) => [n, peakRss(commands[n]!)]));
  const perRound = (name: string, base: string) => median(times[name]!.map((t, i) => t / times[base]![i]!));
  console.log(`${ROUNDS} interleaved rounds (after ${WARMUP} not counted), ${new Date().toISOString().slice(0, 10)}, ${machine()}`);
  console.log("ratios are medians of the per-round ratios; peak RSS is the largest of " + RSS_RUNS + " runs under GNU time");
  console.log(`${"command".padEnd(28)} ${"median ms".padStart(9)} ${"×floor".padStart(7)} ${"×gosu".padStart(7)} ${"peak RSS MiB".padStart(13)}`);
  for (const name of names) {
    const r = rss[name] ?? null;
    console.log(
      `${name.padEnd(28)} ${median(times[name]!).toFixed(2).padStart(9)} ${perRound(name, "floor").toFixed(2).padStart(7)} ${perRound(name, "gosu").toFixed(2).padStart(7)} ${(r === null ? "n/a" : r.toFixed(1)).padStart(13)}`,
    );
  }
  console.log("");
  phases(phased, floor, floorPhased);
}

/** Largest peak RSS of a few runs, from GNU time's %M (KiB); null when /usr/bin/time is missing. */
function peakRss(cmd: string[]): number | null {
  if (!existsSync("/usr/bin/time")) return null;
  let peak = 0;
  for (let i = 0; i < RSS_RUNS; i++) {
    const r = Bun.spawnSync(["/usr/bin/time", "-f", "%M", ...cmd], { stdout: "ignore", stderr: "pipe" });
    const last = r.stderr.toString().trim().split("\n").at(-1)!;
    peak = Math.max(peak, Number(last) / 1024);
  }
  return peak;
}

/**
 * Where the time of `sbx exec` goes, from the marks of the instrumented build: each phase is the
 * time from its mark to the next one, medians over the runs; "runtime start to first statement"
 * is from just before the spawn to sbx's first statement, the floor's whole run beside it.
 */
function phases(phased: string, floor: string, floorPhased: string) {
  const PHASES: [string, string, string][] = [
    ["runtime start to first statement", "spawn", "start"],
    ["module loading: entry chunk (libc)", "start", "main"],
    ["argv and environment (raw)", "main", "args"],
    ["module loading: command chunk", "args", "loaded"],
    ["argument parsing", "loaded", "parsed"],
    ["preflight (own state, probes)", "parsed", "preflight"],
    ["passwd/group", "preflight", "users"],
    ["environment, command lookup, plan", "users", "planned"],
    ["seccomp filter (built-in or compiled)", "planned", "seccomp-ready"],
    ["final plan, report set-up", "seccomp-ready", "ready"],
    ["runner start", "ready", "stepdown"],
    ["step-down", "stepdown", "verify"],
    ["verify", "verify", "verified"],
    ["lookup, report, seccomp install", "verified", "signals"],
    ["signals, execve buffers", "signals", "execve"],
    ["execve to exit", "execve", "exit"],
    ["whole run", "spawn", "exit"],
  ];
  const variants: Record<string, string[]> = {
    floor: [floorPhased],
    "sbx exec": [phased, "exec", "--user", "nobody", "--", "true"],
    "--seccomp default": [phased, "exec", "--user", "nobody", "--seccomp", "default", "--", "true"],
  };
  const rows: Record<string, number[][]> = {};
  const floorWall: number[] = [];
  for (let i = 0; i < PHASE_RUNS; i++) {
    for (const [name, cmd] of Object.entries(variants)) {
      const spawn = performance.timeOrigin + performance.now();
      const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
      const exited = performance.timeOrigin + performance.now();
      const line = r.stderr.toString().split("\n").find((l) => l.startsWith("sbx-phases "));
      if (r.exitCode !== 0 || !line) throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}, no phase line: ${r.stderr}`);
      const at = new Map<string, number>([["spawn", spawn], ["exit", exited]]);
      for (const kv of line.slice("sbx-phases ".length).split(" ")) {
        const [k, v] = kv.split("=");
        at.set(k!, Number(v));
      }
      (rows[name] ??= []).push(PHASES.map(([, from, to]) => (at.has(from) && at.has(to) ? at.get(to)! - at.get(from)! : NaN)));
    }
    const t0 = performance.now();
    Bun.spawnSync([floor], { stdout: "ignore", stderr: "ignore" });
    floorWall.push(performance.now() - t0);
  }
  const names = Object.keys(variants);
  console.log(`per-phase breakdown (instrumented builds, medians of ${PHASE_RUNS} runs, ms; the floor's whole run: ${median(floorWall).toFixed(2)} ms)`);
  console.log(`${"phase".padEnd(40)} ${names.map((n) => n.padStart(18)).join(" ")}`);
  // The floor has one mark, its first statement: it shows what sbx's own code starts from.
  PHASES.forEach(([label], p) => {
    const cells = names.map((n) => {
      const v = rows[n]!.map((r) => r[p]!).filter((x) => !Number.isNaN(x));
      return (v.length ? median(v).toFixed(2) : "-").padStart(18);
    });
    console.log(`${label.padEnd(40)} ${cells.join(" ")}`);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(Bun.spawnSync(["cat", "/proc/cpuinfo"]).stdout.toString())?.[1] ?? process.arch;
  const kernel = Bun.spawnSync(["uname", "-r"]).stdout.toString().trim();
  return `${cpu.trim()}, ${navigator.hardwareConcurrency} CPUs, Linux ${kernel}, bun ${Bun.version}`;
}
