// The main guard of the compiler: for many generated profiles and many syscalls, the compiled BPF
// run in the interpreter decides exactly what a direct reading of the profile decides.
import { describe, expect, test } from "bun:test";
import { ARCHES, type SeccompArch } from "../../src/seccomp/arch.ts";
import { runner, type SeccompData } from "../../src/seccomp/interp.ts";
import { parseProfile } from "../../src/seccomp/profile.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { argValues, CAPS, foreignArch, generateProfile, KERNELS, prng, syscallNumbers } from "./generate.ts";
import { refEvaluate, type RefTarget } from "./reference.ts";

describe("compiled BPF agrees with a direct reading of the profile", () => {
  const PROFILES = 1000;
  const INPUTS_PER_SYSCALL = 4;

  test(`${PROFILES} generated profiles, every decision equal`, () => {
    const r = prng(0x5eccc0);
    let decisions = 0;
    for (let i = 0; i < PROFILES; i++) {
      const arch: SeccompArch = r.pick(["x86_64", "aarch64"]);
      const profile = generateProfile(r, arch);
      const target: RefTarget = { arch, caps: new Set(CAPS.filter(() => r.chance(0.5))), kernel: r.pick(KERNELS) };
      const context = () => JSON.stringify({ profile, target: { ...target, caps: [...target.caps] } }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

      const decide = runner(compileProfile(parseProfile(profile), target).bytes);
      const native = ARCHES[arch].auditArch;
      for (const nr of syscallNumbers(r, profile, arch)) {
        for (let k = 0; k < INPUTS_PER_SYSCALL; k++) {
          const data: SeccompData = { nr, arch: r.chance(0.05) ? foreignArch(arch) : native, instructionPointer: 0n, args: argValues(r, profile) };
          const got = decide(data).action;
          const want = refEvaluate(profile, target, data);
          if (got !== want) {
            throw new Error(`BPF gave 0x${got.toString(16)}, the profile means 0x${want.toString(16)} for nr ${nr} args ${data.args.join(",")} arch 0x${data.arch.toString(16)}\n${context()}`);
          }
          decisions++;
        }
      }
    }
    expect(decisions).toBeGreaterThan(PROFILES * 40);
  }, 60_000);
});
