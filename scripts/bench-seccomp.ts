// Cost of Docker's default seccomp profile under sbx's compiler and under libseccomp's
// (Debian python3-seccomp, when installed): BPF instructions executed per syscall number, and
// the real cost of two cheap syscalls with each filter installed: getppid, which the kernel
// answers from its per-filter cache (since 5.11 it skips the filter for syscalls allowed whatever
// their arguments), and personality(0xffffffff), whose rules look at an argument, so the filter runs.
//
//   bun scripts/bench-seccomp.ts
//
// Not a test: numbers only. The real-cost part installs filters in child processes, so it needs
// a kernel with seccomp; it is skipped where installing fails.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARCHES, runningArch } from "../src/seccomp/arch.ts";
import { decode } from "../src/seccomp/bpf.ts";
import { runner } from "../src/seccomp/interp.ts";
import { ruleApplies } from "../src/seccomp/policy.ts";
import { parseProfile, readProfileJson } from "../src/seccomp/profile.ts";
import { compileProfile, workloadTarget } from "../src/seccomp/source.ts";

const ROOT = join(import.meta.dir, "..");
const DOCKER_DEFAULT = join(ROOT, "..", "shared", "fixtures", "seccomp", "docker-default.json");
const LIBSECCOMP_EXPORT = join(ROOT, "test", "seccomp", "libseccomp-export.py");
const PROBES = [
  { label: "getppid()", nr: { x86_64: 110, aarch64: 173 }, arg: 0 },
  { label: "personality(0xffffffff)", nr: { x86_64: 135, aarch64: 92 }, arg: 0xffffffff },
] as const;

/** Child mode: install the filter (if any), then time one syscall. Prints ns per call. */
async function child(probe: (typeof PROBES)[number], calls: number, filter: string | undefined): Promise<void> {
  const { libc } = await import("../src/sys/libc.ts");
  const { setNoNewPrivs } = await import("../src/sys/prctl.ts");
  const { installFilter } = await import("../src/sys/seccomp.ts");
  if (filter && !(setNoNewPrivs().ok && installFilter(new Uint8Array(readFileSync(filter))).ok)) process.exit(3);
  const nr = probe.nr[runningArch()];
  for (let i = 0; i < calls / 10; i++) libc.syscall(nr, probe.arg, 0, 0, 0, 0); // warm up the FFI path
  const start = Bun.nanoseconds();
  for (let i = 0; i < calls; i++) libc.syscall(nr, probe.arg, 0, 0, 0, 0);
  console.log((Bun.nanoseconds() - start) / calls);
}

function libseccompProgram(rules: unknown[], optimize: string | undefined, dir: string): Uint8Array | undefined {
  const python = ["/usr/bin/python3", "python3"].find((py) => Bun.spawnSync([py, "-c", "import seccomp"], { stderr: "ignore" }).exitCode === 0);
  if (!python) return undefined;
  const out = join(dir, `libseccomp${optimize ?? ""}.bpf`);
  const r = Bun.spawnSync([python, LIBSECCOMP_EXPORT, out, ...(optimize ? [optimize] : [])], {
    stdin: new TextEncoder().encode(JSON.stringify({ defaultErrno: 1, rules }, (_k, v) => (typeof v === "bigint" ? Number(v) : v))),
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`libseccomp export failed: ${r.stderr.toString()}`);
  return new Uint8Array(readFileSync(out));
}

function instructionCounts(bytes: Uint8Array, numbers: number[], auditArch: number) {
  const decide = runner(bytes);
  const counts = numbers.map((nr) => decide({ nr, arch: auditArch, instructionPointer: 0n, args: [] }).executed);
  return { average: counts.reduce((a, b) => a + b, 0) / counts.length, worst: Math.max(...counts), size: decode(bytes).length };
}

function realCost(probe: number, filter: string | undefined, calls: number): number | undefined {
  const runs = [0, 1, 2].map(() => {
    const r = Bun.spawnSync([process.execPath, import.meta.path, "--child", String(probe), String(calls), ...(filter ? [filter] : [])], { stderr: "pipe" });
    return r.exitCode === 0 ? Number(r.stdout.toString()) : undefined;
  });
  return runs.includes(undefined) ? undefined : Math.min(...(runs as number[]));
}

async function main(): Promise<void> {
  const target = workloadTarget();
  const info = ARCHES[target.arch];
  const json = readProfileJson(readFileSync(DOCKER_DEFAULT, "utf8")) as { syscalls: Parameters<typeof ruleApplies>[0][] };
  const profile = parseProfile(json);
  const numbers = [...new Set(info.syscalls.values())].sort((a, b) => a - b);
  const dir = mkdtempSync(join(tmpdir(), "sbx-bench-"));

  const programs: [string, Uint8Array | undefined][] = [["sbx", compileProfile(profile, target).bytes]];
  if (target.arch === "x86_64") {
    const rules = json.syscalls.filter((r) => ruleApplies(r, target));
    programs.push(["libseccomp, default (linear)", libseccompProgram(rules, undefined, dir)]);
    programs.push(["libseccomp, optimize=2 (tree)", libseccompProgram(rules, "2", dir)]);
  }

  console.log(`Docker's default profile on ${target.arch}, no capabilities, kernel ${target.kernel.join(".")}:`);
  console.log(`BPF instructions executed over the ${numbers.length} syscall numbers of the ${target.arch} table`);
  console.log(`${"filter".padEnd(32)} ${"average".padStart(8)} ${"worst".padStart(6)} ${"size".padStart(6)}`);
  for (const [name, bytes] of programs) {
    if (!bytes) {
      console.log(`${name.padEnd(32)} (python3-seccomp not installed)`);
      continue;
    }
    const c = instructionCounts(bytes, numbers, info.auditArch);
    console.log(`${name.padEnd(32)} ${c.average.toFixed(1).padStart(8)} ${String(c.worst).padStart(6)} ${String(c.size).padStart(6)}`);
  }
  console.log("(runc puts its own ENOSYS stub, about 5 more instructions, in front of libseccomp's filter.)");

  const calls = 2_000_000;
  const files = programs.flatMap(([name, bytes]) => {
    if (!bytes) return [];
    const file = join(dir, `${name.replace(/\W+/g, "_")}.bpf`);
    writeFileSync(file, bytes);
    return [[name, file] as const];
  });
  PROBES.forEach((probe, i) => {
    const none = realCost(i, undefined, calls);
    console.log(`\n${probe.label} through Bun's FFI, ${calls} calls, best of 3, ns per call:`);
    console.log(`${"no filter".padEnd(32)} ${none?.toFixed(1) ?? "failed"}`);
    for (const [name, file] of files) {
      const cost = realCost(i, file, calls);
      const ratio = cost !== undefined && none ? ` (x${(cost / none).toFixed(2)})` : "";
      console.log(`${name.padEnd(32)} ${cost?.toFixed(1) ?? "could not install the filter"}${ratio}`);
    }
  });
}

if (process.argv[2] === "--child") await child(PROBES[Number(process.argv[3])]!, Number(process.argv[4]), process.argv[5]);
else await main();
