// Builds dist/sbx: `bun run scripts/build.ts [--target bun-linux-x64|bun-linux-arm64|…-musl]`.
// scripts/release.ts builds every target through build() below.
//
// Two kinds of runtime hooks are closed here, because sbx runs as root in a working directory
// the workload may own, with an environment the image author wrote for the workload:
//  - config autoload: --no-compile-autoload-dotenv/--no-compile-autoload-bunfig (.env, bunfig.toml);
//  - environment hooks the runtime honours on its own: BUN_BE_BUN (turns the binary into the bun
//    CLI), BUN_OPTIONS (e.g. --preload, which would run as root), the BUN_INSPECT* family
//    (debugger) and BUN_BYTECODE_* (below). Bun has no switch for these, so the build renames
//    them in the runtime's string table to names that begin with "=", which no environment entry
//    can have. The workload still gets these variables: only the runtime inside sbx stops reading
//    them. The build fails if a name is not found, so a Bun upgrade cannot silently undo it.
//
// --splitting puts each command, the seccomp compiler and every other module behind an import()
// into its own chunk inside the executable: with a single-file bundle an import() defers only the
// evaluation of the code behind it (all of it is still loaded, and every builtin it imports is
// loaded at every start); with chunks, a chunk and what it imports load only when that import runs.
//
// The built-in seccomp profiles are embedded compiled (src/seccomp/builtin/compiled/): the build
// first checks that the committed tables are byte-identical to what the compiler produces now.
//
// --compile-jit-policy=100 makes JavaScriptCore's JIT 100 times more reluctant to tier up: sbx runs
// its code once and execs, so JIT work at start (a background compiler thread competing for the
// CPU, then installing code) never pays off; it cost about 2 ms of every `sbx exec`.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { $ } from "bun";
import { checkElf, type ElfFacts } from "./elf.ts";
import { checkCompiledBuiltins } from "./gen-seccomp-builtins.ts";

// bun build runs here with the entry as "src/main.ts", whatever the caller's directory.
const ROOT = resolve(import.meta.dir, "..");

// Each entry is a name or a name prefix; every occurrence in the runtime is renamed.
// BUN_BYTECODE_*: ORDER_OUT/DIGEST_OUT make the runtime write a file at exit (as root).
// BUN_JSC_* cannot be closed this way (the runtime does not match it by this string); sbx refuses
// to start when one is set instead (src/runtimeEnv.ts).
const NEUTRALISED = ["BUN_BE_BUN", "BUN_OPTIONS", "BUN_INSPECT", "BUN_BYTECODE_"];

export interface BuildOptions {
  target: string;
  outfile: string;
  /** A Bun runtime for the target (--compile-executable-path); without it Bun uses its own or downloads one. */
  runtime?: string;
  /** Where Bun writes the module graph (the release's SBOM lists the npm packages in it). */
  metafile?: string;
  /** Another entry point built with exactly the same flags (scripts/bench-stepdown.ts builds its floor so). */
  entry?: string;
  /** The bench's phase marks compiled in (src/phases.ts); never in dist/sbx or the release. */
  phases?: boolean;
}

/** The bun build flags every executable is built with, the floor of the bench included. */
export function compileFlags(target: string, phases = false): string[] {
  return [
    "--compile", "--splitting", "--minify", "--bytecode", "--format=esm", `--target=${target}`,
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--compile-jit-policy=100",
    "--define", `SBX_BUILD_TARGET=${JSON.stringify(target)}`, "--define", `SBX_PHASES=${phases}`,
  ];
}

/** Builds, patches and checks one executable; returns the ELF facts of what it wrote. */
let builtinsChecked = false;

export async function build(options: BuildOptions): Promise<ElfFacts> {
  const { outfile } = options;
  // The built-in seccomp programs go into the binary as compiled tables: never stale ones.
  if (!builtinsChecked) checkCompiledBuiltins();
  builtinsChecked = true;
  mkdirSync(dirname(outfile), { recursive: true });
  // Built and patched in a fresh directory under the fixed name "sbx", then renamed: Bun embeds
  // the --outfile name, so the same name gives the same bytes whatever the final path; a running
  // binary at the real path is never overwritten (ETXTBSY) and no half-patched one is ever there.
  const stage = mkdtempSync(join(dirname(outfile), ".build-"));
  try {
    return await buildIn(join(stage, "sbx"), options);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function buildIn(staging: string, { target, outfile, runtime, metafile, entry = "src/main.ts", phases = false }: BuildOptions): Promise<ElfFacts> {
  const extra = [
    ...(runtime ? [`--compile-executable-path=${runtime}`] : []),
    ...(metafile ? [`--metafile=${metafile}`] : []),
  ];
  const bun = await $`${process.execPath} build ${entry} ${compileFlags(target, phases)} --outfile=${staging} ${extra}`.cwd(ROOT).nothrow().quiet();
  if (bun.exitCode !== 0) throw new Error(`build ${outfile} (${target}): bun build exited ${bun.exitCode}: ${bun.stderr.toString().trim()}`);

  const bin = readFileSync(staging);
  for (const name of NEUTRALISED) {
    const needle = Buffer.from(name);
    let at = bin.indexOf(needle);
    if (at < 0) throw new Error(`build: "${name}" not found in the Bun runtime; re-check the environment hooks`);
    for (; at >= 0; at = bin.indexOf(needle, at + 1)) bin[at] = "=".charCodeAt(0);
  }
  writeFileSync(staging, bin, { mode: 0o755 });
  const elf = checkElf(staging, target, outfile);
  renameSync(staging, outfile);
  return elf;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const target = arg("--target") ?? `bun-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
  const outfile = arg("--outfile") ?? "dist/sbx";
  const elf = await build({ target, outfile });
  console.log(`built ${outfile} (${target}: ${elf.machine}, ${elf.interpreter}); neutralised ${NEUTRALISED.join(", ")}`);
}
