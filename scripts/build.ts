// Builds dist/sbx: `bun run scripts/build.ts [--target bun-linux-x64|bun-linux-arm64|…-musl]`.
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
// --compile-jit-policy=100 makes JavaScriptCore's JIT 100 times more reluctant to tier up: sbx runs
// its code once and execs, so JIT work at start (a background compiler thread competing for the
// CPU, then installing code) never pays off; it cost about 2 ms of every `sbx exec`.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { $ } from "bun";

// Each entry is a name or a name prefix; every occurrence in the runtime is renamed.
// BUN_BYTECODE_*: ORDER_OUT/DIGEST_OUT make the runtime write a file at exit (as root).
// BUN_JSC_* cannot be closed this way (the runtime does not match it by this string); sbx refuses
// to start when one is set instead (src/runtimeEnv.ts).
const NEUTRALISED = ["BUN_BE_BUN", "BUN_OPTIONS", "BUN_INSPECT", "BUN_BYTECODE_"];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const target = arg("--target") ?? `bun-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
const outfile = arg("--outfile") ?? "dist/sbx";
mkdirSync("dist", { recursive: true });
// Built and patched under another name, then renamed: a running dist/sbx is never overwritten
// (ETXTBSY) and no half-patched binary is ever at the real path.
const staging = `${outfile}.building`;

await $`${process.execPath} build src/main.ts --compile --minify --bytecode --format=esm --target=${target} --outfile=${staging} --no-compile-autoload-dotenv --no-compile-autoload-bunfig --compile-jit-policy=100 --define SBX_BUILD_TARGET=${JSON.stringify(target)}`.quiet();

const bin = readFileSync(staging);
for (const name of NEUTRALISED) {
  const needle = Buffer.from(name);
  let at = bin.indexOf(needle);
  if (at < 0) throw new Error(`build: "${name}" not found in the Bun runtime; re-check the environment hooks`);
  for (; at >= 0; at = bin.indexOf(needle, at + 1)) bin[at] = "=".charCodeAt(0);
}
writeFileSync(staging, bin, { mode: 0o755 });
renameSync(staging, outfile);
console.log(`built ${outfile} (${target}); neutralised ${NEUTRALISED.join(", ")}`);
