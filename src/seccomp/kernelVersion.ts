// A kernel release's [major, minor] ("6.18.44-fc-v769" → [6, 18]), as Docker compares minKernel.
// Its own module, without regular expressions, because the build-time tables are chosen by it on
// every `--seccomp` start, where the compiler (source.ts) is not loaded.

/** The digits of `s` from `at`, and where they end; null when there are none. */
function digits(s: string, at: number): { value: number; end: number } | null {
  let end = at;
  while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
  return end === at ? null : { value: Number(s.slice(at, end)), end };
}

/** [major, minor] from the start of `release`; undefined when it does not start with "N.N". */
export function kernelVersion(release: string): [number, number] | undefined {
  const major = digits(release, 0);
  const minor = major && release[major.end] === "." ? digits(release, major.end + 1) : null;
  return major && minor ? [major.value, minor.value] : undefined;
}
