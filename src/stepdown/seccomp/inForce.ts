// After the seccomp install, before execve: is the filter in force as planned? The calls sbx makes
// there were decided before any change (afterInstall.ts); these compare what they did. Pure, and
// light: the runner loads it at every start.
import type { SysResult } from "../../sys/result.ts";
import type { ByteString } from "../../text/bytes.ts";
import type { Outcome } from "./types.ts";

/** The buffer the status file is read into; /proc/<pid>/status is about 1.5 KiB. */
export const STATUS_BYTES = 8192;

/** The call did what the filter says, or one line saying how it did not (`got`: its return value, or its errno). */
export function outcomeProblem(what: string, want: Outcome, got: SysResult<number>): string | null {
  const saw = got.ok ? `returned ${got.value}` : `failed with ${got.errno.name}`;
  if (want.kind === "runs") return got.ok ? null : `${what} ${saw}`;
  const expected = want.errno === 0 ? got.ok && got.value === 0 : !got.ok && got.errno.code === want.errno;
  return expected ? null : `${what} ${saw}, but the filter answers it with ERRNO(${want.errno})`;
}

/** Seccomp_filters in a status text; null when the line is missing (kernel before 5.9). */
export function filterCount(status: ByteString): number | null {
  const m = /^Seccomp_filters:\s*(\d+)$/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** /proc/thread-self/status after the install: mode 2, and one filter more than before. */
export function statusProblems(status: ByteString, filtersBefore: number | null): string[] {
  const out: string[] = [];
  const mode = /^Seccomp:\s*(\d+)$/m.exec(status)?.[1];
  if (mode !== "2") out.push(`/proc/thread-self/status shows Seccomp: ${mode ?? "(missing)"}, expected 2 (filter)`);
  const after = filterCount(status);
  if (filtersBefore !== null && after !== filtersBefore + 1) {
    out.push(`/proc/thread-self/status shows Seccomp_filters: ${after ?? "(missing)"}, expected ${filtersBefore + 1} (the caller's ${filtersBefore} + this one)`);
  }
  return out;
}
