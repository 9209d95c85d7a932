// Cost of seccomp filters compiled by sbx and by libseccomp (Debian python3-seccomp, as runc drives
// it; needs /usr/bin/python3 with it): BPF instructions executed per syscall, arguments included,
// for Docker's default profile, containers/common's (Podman, CRI-O) and generated profiles with
// argument rules; then the real cost of two cheap syscalls with each filter installed: getppid,
// which the kernel answers from its per-filter cache (since 5.11 it skips the filter for syscalls
// allowed whatever their arguments), and personality(0xffffffff), whose rules look at an argument.
//
//   bun scripts/bench-seccomp.ts [--profiles N] [--seed S]     (x86_64; generated: 300 by default)
//
// Inputs: every syscall number 0..600 with argument values around each rule's (for the shipped
// profiles), and the syscalls that have argument rules with argument values around theirs (for
// the generated ones). libseccomp's numbers are its filter alone, without runc's ENOSYS stub.
// Generated profiles where libseccomp gives up (EEXIST on overlapping rules) or hangs are counted,
// and every decision is also checked against a direct reading of the profile: libseccomp's
// mistakes are listed (inputs where two argument rules with different actions match are left
// out, since libseccomp's answer there depends on its tree).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describeAction } from "../src/seccomp/action.ts";
import { ARCHES, runningArch } from "../src/seccomp/arch.ts";
import { decode } from "../src/seccomp/bpf.ts";
import { runner } from "../src/seccomp/interp.ts";
import { parseProfile, readProfileJson } from "../src/seccomp/profile.ts";
import { compileProfile } from "../src/seccomp/source.ts";
import { CONTAINERS_COMMON, DOCKER_DEFAULT_PATH, target } from "../test/seccomp/fixtures.ts";
import { generateProfile, prng } from "../test/seccomp/generate.ts";
import { argumentSets, compareWithLibseccomp, libseccompProgram } from "../test/seccomp/libseccomp.ts";
import { refApplies, refArgHolds, refEvaluate, type RefProfile } from "../test/seccomp/reference.ts";

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

function realCost(probe: number, filter: string | undefined, calls: number): number | undefined {
  const runs = [0, 1, 2].map(() => {
    const r = Bun.spawnSync([process.execPath, import.meta.path, "--child", String(probe), String(calls), ...(filter ? [filter] : [])], { stderr: "pipe" });
    return r.exitCode === 0 ? Number(r.stdout.toString()) : undefined;
  });
  return runs.includes(undefined) ? undefined : Math.min(...(runs as number[]));
}

interface Cost {
  average: number;
  worst: number;
}
const cost = (xs: readonly number[]): Cost => ({ average: xs.reduce((a, b) => a + b, 0) / xs.length, worst: Math.max(...xs) });
const row = (name: string, c: Cost, extra = "") => `${name.padEnd(34)} ${c.average.toFixed(1).padStart(8)} ${String(c.worst).padStart(6)}${extra}`;
const HEADER = `${"filter".padEnd(34)} ${"average".padStart(8)} ${"worst".padStart(6)}`;

/** The three filters on one profile's inputs. */
function shippedProfile(title: string, profile: RefProfile): Uint8Array {
  const t = target("x86_64");
  const linear = compareWithLibseccomp(profile, t);
  const tree = compareWithLibseccomp(profile, t, { optimize: 2 });
  const size = (bytes: Uint8Array) => `  ${decode(bytes).length} instructions`;
  const ours = compileProfile(parseProfile(profile), t).bytes;
  console.log(`\n${title}, x86_64, no capabilities: ${linear.cost.sbx.length} inputs (syscall numbers × argument values), ${linear.disagreements.length + tree.disagreements.length} disagreements`);
  console.log(HEADER);
  console.log(row("sbx", cost(linear.cost.sbx), size(ours)));
  console.log(row("libseccomp, as runc (linear)", cost(linear.cost.libseccomp), size(libseccompProgram(profile, t).bytes)));
  console.log(row("libseccomp, optimize=2 (tree)", cost(tree.cost.libseccomp), size(libseccompProgram(profile, t, 2).bytes)));
  return ours;
}

/** Two argument rules with different actions both hold: libseccomp's answer depends on its tree there. */
function overlapping(profile: RefProfile, nr: number, args: readonly bigint[]): boolean {
  const t = target("x86_64");
  const actions = new Set(
    (profile.syscalls ?? [])
      .filter((r) => refApplies(r, t) && (r.args ?? []).length > 0 && (r.names ?? []).some((n) => ARCHES.x86_64.syscalls.get(n) === nr))
      .filter((r) => r.args!.every((a) => refArgHolds(a, args)))
      .map((r) => `${r.action}/${r.errnoRet}`),
  );
  return actions.size > 1;
}

function generatedProfiles(count: number, seed: number): void {
  const r = prng(seed);
  const t = target("x86_64");
  const costs = { sbx: [] as number[], linear: [] as number[], tree: [] as number[] };
  let [profiles, refused, hung, compared] = [0, 0, 0, 0];
  const sbxWrong: string[] = [];
  const libseccompWrong: string[] = [];
  while (profiles < count) {
    const profile = generateProfile(r, "x86_64");
    const rules = (profile.syscalls ?? []).filter((x) => refApplies(x, t) && (x.args ?? []).length > 0);
    if (rules.length === 0) continue;
    profiles++;
    const numbers = [...new Set(rules.flatMap((x) => x.names ?? []).map((n) => ARCHES.x86_64.syscalls.get(n)).filter((n) => n !== undefined))];
    const argSets = argumentSets(rules);
    const ambiguous = (data: { nr: number; args: readonly bigint[] }) => overlapping(profile, data.nr, data.args);
    let linear, tree;
    try {
      linear = compareWithLibseccomp(profile, t, { numbers, argSets, skip: ambiguous, timeout: 5000 });
      tree = compareWithLibseccomp(profile, t, { numbers, argSets, skip: ambiguous, optimize: 2, timeout: 5000 });
    } catch (e) {
      // Killed after the timeout: stuck in seccomp_rule_add. Otherwise it refused the rules (EEXIST).
      if ((e as Error).message.includes("SIGTERM")) hung++;
      else refused++;
      continue;
    }
    costs.sbx.push(...linear.cost.sbx);
    costs.linear.push(...linear.cost.libseccomp);
    costs.tree.push(...tree.cost.libseccomp);
    // The judge: a direct reading of the profile.
    const ours = runner(compileProfile(parseProfile(profile), t).bytes);
    const theirs = runner(libseccompProgram(profile, t).bytes);
    for (const nr of numbers) {
      if (linear.skipped.includes(nr)) continue;
      for (const args of argSets) {
        const data = { nr, arch: ARCHES.x86_64.auditArch, instructionPointer: 0n, args };
        if (ambiguous(data)) continue;
        compared++;
        const want = refEvaluate(profile, t, data);
        const [mine, other] = [ours(data).action, theirs(data).action];
        const where = () => `${JSON.stringify(profile, (_k, v) => (typeof v === "bigint" ? v.toString() : v))} nr ${nr} args ${args.join(",")}`;
        if (mine !== want) sbxWrong.push(`sbx ${describeAction(mine)}, the profile means ${describeAction(want)}: ${where()}`);
        if (other !== want) libseccompWrong.push(`libseccomp ${describeAction(other)}, the profile means ${describeAction(want)}: ${where()}`);
      }
    }
  }
  console.log(`\n${profiles} generated profiles with argument rules (seed ${seed}), x86_64: ${costs.sbx.length} inputs (syscalls with argument rules × argument values)`);
  console.log(`libseccomp refused ${refused} of them and hung on ${hung}; ${compared} decisions checked against a direct reading of the profile`);
  console.log(HEADER);
  console.log(row("sbx", cost(costs.sbx)));
  console.log(row("libseccomp, as runc (linear)", cost(costs.linear)));
  console.log(row("libseccomp, optimize=2 (tree)", cost(costs.tree)));
  console.log(`sbx wrong: ${sbxWrong.length}; libseccomp wrong: ${libseccompWrong.length}`);
  for (const w of [...sbxWrong, ...libseccompWrong].slice(0, 5)) console.log(`  ${w}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { profiles: { type: "string", default: "300" }, seed: { type: "string", default: "1" } } });
  if (runningArch() !== "x86_64") throw new Error("the comparison with libseccomp is for x86_64");
  const dockerProfile = readProfileJson(readFileSync(DOCKER_DEFAULT_PATH, "utf8")) as RefProfile;
  const docker = shippedProfile("Docker's default profile", dockerProfile);
  shippedProfile("containers/common's profile", readProfileJson(readFileSync(CONTAINERS_COMMON, "utf8")) as RefProfile);
  generatedProfiles(Number(values.profiles), Number(values.seed));

  const dir = mkdtempSync(join(tmpdir(), "sbx-bench-"));
  const files = ([["sbx", docker], ["libseccomp, as runc (linear)", libseccompProgram(dockerProfile, target("x86_64")).bytes]] as const).map(([name, bytes]) => {
    const file = join(dir, `${name.replace(/\W+/g, "_")}.bpf`);
    writeFileSync(file, bytes);
    return [name, file] as const;
  });
  const calls = 2_000_000;
  PROBES.forEach((probe, i) => {
    const none = realCost(i, undefined, calls);
    console.log(`\nDocker's default profile: ${probe.label} through Bun's FFI, ${calls} calls, best of 3, ns per call:`);
    console.log(`${"no filter".padEnd(34)} ${none?.toFixed(1) ?? "failed"}`);
    for (const [name, file] of files) {
      const ns = realCost(i, file, calls);
      const ratio = ns !== undefined && none ? ` (x${(ns / none).toFixed(2)})` : "";
      console.log(`${name.padEnd(34)} ${ns?.toFixed(1) ?? "could not install the filter"}${ratio}`);
    }
  });
}

if (process.argv[2] === "--child") await child(PROBES[Number(process.argv[3])]!, Number(process.argv[4]), process.argv[5]);
else await main();
