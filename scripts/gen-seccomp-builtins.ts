// Generates src/seccomp/builtin/compiled/<arch>.ts: every built-in profile compiled by sbx's own
// compiler (loadSeccompProgram, exactly what `--seccomp NAME` runs otherwise) for each kernel class
// and for the capability sets src/seccomp/builtin/compiled.ts describes, with the program's sha256
// and the decisions about sbx's own calls after the install (expectAfterInstall).
//
//   ./scripts/bun run scripts/gen-seccomp-builtins.ts
//
// scripts/build.ts calls checkCompiledBuiltins() before every build: a committed table that is not
// byte-identical to what the compiler produces now fails the build.
//
// The decisions are made with fds the interpreter watches: an fd argument (the status fd sbx reads,
// the report fd it writes) that a program ever loads would make a decision depend on the fd, so
// the generator refuses it; since no other input of those calls varies, each decision then holds
// for every fd and report sbx can use.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CAP_NAMES } from "../src/caps/names.ts";
import { ARCHES, SECCOMP_ARCHES, type SeccompArch } from "../src/seccomp/arch.ts";
import type { CompiledProgram, CompiledTable } from "../src/seccomp/builtin/compiled.ts";
import { BUILTIN_PROFILES } from "../src/seccomp/builtin/index.ts";
import { runner } from "../src/seccomp/interp.ts";
import { parseProfile } from "../src/seccomp/profile.ts";
import { loadSeccompProgram } from "../src/seccomp/source.ts";
import { afterInstallCalls, expectAfterInstall } from "../src/stepdown/seccomp/afterInstall.ts";

export const OUT_DIR = join(import.meta.dir, "..", "src", "seccomp", "builtin", "compiled");

/** Fds no constant argument can equal, so an argument holding one is known to be an fd. */
const FDS = { status: 1_000_003, report: 1_000_005, restoresFlags: true };
const FD_VALUES = new Set([BigInt(FDS.status), BigInt(FDS.report)]);

const capNumber = (name: string) => {
  const n = (CAP_NAMES as readonly string[]).indexOf(name.replace(/^CAP_/, "").toLowerCase());
  if (n < 0) throw new Error(`gen-seccomp-builtins: unknown capability ${name}`);
  return n;
};
const dockerCap = (n: number) => `CAP_${CAP_NAMES[n]!.toUpperCase()}`;
const sameVersion = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1];

/** What of the workload changes this profile's program: the caps its rules name, its minKernel values. */
function inputsOf(name: string): { caps: number[]; thresholds: [number, number][] } {
  const profile = parseProfile(BUILTIN_PROFILES.find((b) => b.name === name)!.profile);
  const caps = new Set<number>();
  const thresholds: [number, number][] = [];
  for (const rule of profile.syscalls) {
    for (const cond of [rule.includes, rule.excludes]) {
      for (const c of cond?.caps ?? []) caps.add(capNumber(c));
      const k = cond?.minKernel;
      if (k && !thresholds.some((t) => sameVersion(t, k))) thresholds.push([k[0], k[1]]);
    }
  }
  thresholds.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { caps: [...caps].sort((a, b) => a - b), thresholds };
}

/** The after-install decisions, refusing a program whose decision reads an fd argument. */
function decideAfterInstall(arch: SeccompArch, name: string, bytes: Uint8Array): CompiledProgram["after"] {
  const decide = runner(bytes);
  const abi = ARCHES[arch];
  for (const c of afterInstallCalls(FDS)) {
    const args = [...c.args];
    const read: number[] = [];
    c.args.forEach((a, j) => {
      if (FD_VALUES.has(a)) Object.defineProperty(args, j, { get: () => (read.push(j), a) });
    });
    decide({ nr: abi.syscalls.get(c.name)!, arch: abi.auditArch, instructionPointer: 0n, args });
    if (read.length) throw new Error(`gen-seccomp-builtins: ${name} on ${arch}: the filter reads the fd argument ${read[0]} of ${c.what}, so its decision cannot be made at build time`);
  }
  const filter = { profile: name, source: "builtin" as const, bytes, flags: 0, warnings: [], sha256: "", instructions: bytes.length / 8 };
  return expectAfterInstall(filter, FDS, "--seccomp", arch);
}

/** One built-in on one architecture: its program for every kernel class and capability set the table holds. */
function tableFor(arch: SeccompArch, name: string): CompiledTable {
  const { caps, thresholds } = inputsOf(name);
  const capSets = [[], ...caps.map((c) => [c]), ...(caps.length > 1 ? [caps] : [])];
  const programs: CompiledProgram[] = [];
  const byText = new Map<string, number>();
  const keys: Record<string, number> = {};
  for (let kernelClass = 0; kernelClass <= thresholds.length; kernelClass++) {
    const kernel = kernelClass === 0 ? ([0, 0] as const) : thresholds[kernelClass - 1]!;
    for (const held of capSets) {
      const program = loadSeccompProgram(name, { arch, caps: new Set(held.map(dockerCap)), kernel });
      const entry: CompiledProgram = {
        bytes: program.bytes.toBase64(),
        sha256: new Bun.CryptoHasher("sha256").update(program.bytes).digest("hex"),
        flags: program.flags,
        warnings: program.warnings,
        after: decideAfterInstall(arch, name, program.bytes),
      };
      const text = JSON.stringify(entry);
      let i = byText.get(text);
      if (i === undefined) {
        i = programs.push(entry) - 1;
        byText.set(text, i);
      }
      keys[`${kernelClass}:${held.join(",")}`] = i;
    }
  }
  return { arch, name, caps, thresholds, keys, programs };
}

const HEADER =
  `// Generated by scripts/gen-seccomp-builtins.ts from the built-in profiles with sbx's compiler: do not edit.\n` +
  `// scripts/build.ts regenerates it and refuses to build when this file differs.\n`;

/** The generated modules, by path: one table per architecture and built-in (each its own chunk), and their index. */
export function generateCompiledBuiltins(): Map<string, string> {
  const out = new Map<string, string>();
  const loaders: string[] = [];
  for (const arch of SECCOMP_ARCHES) {
    for (const { name } of BUILTIN_PROFILES) {
      const { programs, ...rest } = tableFor(arch, name);
      const file = `${arch}-${name}.ts`;
      out.set(
        join(OUT_DIR, file),
        HEADER +
          `import type { CompiledTable } from "../compiled.ts";\n\n` +
          `export const COMPILED: CompiledTable = {\n` +
          `  ...${JSON.stringify(rest)},\n` +
          `  programs: [\n${programs.map((p) => `    ${JSON.stringify(p)},\n`).join("")}  ],\n` +
          `};\n`,
      );
      loaders.push(`    case ${JSON.stringify(`${arch}/${name}`)}:\n      return (await import(${JSON.stringify(`./${file}`)})).COMPILED;\n`);
    }
  }
  out.set(
    join(OUT_DIR, "index.ts"),
    HEADER +
      `import type { CompiledTable } from "../compiled.ts";\n\n` +
      `/** The table of built-in \`name\` on \`arch\`; undefined for any other name. */\n` +
      `export async function loadCompiled(arch: string, name: string): Promise<CompiledTable | undefined> {\n` +
      `  switch (\`\${arch}/\${name}\`) {\n${loaders.join("")}  }\n  return undefined;\n}\n`,
  );
  return out;
}

/** Throws, naming the file, when a committed table is not what the compiler produces now. */
export function checkCompiledBuiltins(): void {
  for (const [path, text] of generateCompiledBuiltins()) {
    let committed: string | undefined;
    try {
      committed = readFileSync(path, "utf8");
    } catch {
      committed = undefined;
    }
    if (committed !== text) {
      throw new Error(`${path} is not what sbx's seccomp compiler produces now (the built-in profiles or the compiler changed): run ./scripts/bun run scripts/gen-seccomp-builtins.ts`);
    }
  }
}

if (import.meta.main) {
  for (const [path, text] of generateCompiledBuiltins()) {
    writeFileSync(path, text);
    console.log(`wrote ${path} (${text.length} bytes)`);
  }
}
