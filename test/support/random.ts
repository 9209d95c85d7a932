// Property tests: a small seeded PRNG so a failure can be replayed, and how many cases to run.
// CI runs a bounded number; scripts/fuzz.ts runs the same properties longer (SBX_FUZZ_CASES,
// SBX_FUZZ_SEED).
export const CASES = Number(process.env.SBX_FUZZ_CASES ?? 2000);
export const SEED = Number(process.env.SBX_FUZZ_SEED ?? 20261201);

export function rng(seed = SEED): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;

/** A string of 0..max pieces drawn from `pieces`. */
export function pieces(next: () => number, from: readonly string[], max = 5): string {
  let s = "";
  const n = Math.floor(next() * (max + 1));
  for (let i = 0; i < n; i++) s += pick(next, from);
  return s;
}

/** Random bytes as a byte string. */
export function bytes(next: () => number, max = 40): string {
  let s = "";
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(next() * 256));
  return s;
}
