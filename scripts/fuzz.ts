// The property tests, run longer than CI runs them: `bun run scripts/fuzz.ts [CASES] [SEED]`
// (default 200000 cases, a seed from the clock, printed so a failure can be replayed).
import { $ } from "bun";

const cases = process.argv[2] ?? "200000";
const seed = process.argv[3] ?? String(Date.now() % 2 ** 31);
console.log(`property tests: ${cases} cases each, seed ${seed}`);
const r = await $`${process.execPath} test --timeout 0 --test-name-pattern property`.env({ ...process.env, SBX_FUZZ_CASES: cases, SBX_FUZZ_SEED: seed }).nothrow();
process.exit(r.exitCode);
