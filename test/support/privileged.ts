// Privileged tests must run, not skip: under CI they fail loudly when a precondition is missing.
import { expect } from "bun:test";
import { run } from "./sbx.ts";

export const IS_ROOT = process.getuid?.() === 0;

/** Assert the tools a lane needs exist; CI installs them in .ci/run. */
export function requireTools(...tools: string[]): void {
  for (const t of tools) {
    const r = run(["sh", "-c", `command -v ${t}`]);
    expect(r.code, `${t} must be installed (see .ci/run)`).toBe(0);
  }
}

/**
 * A `via` prefix that runs the command under capsh with these options. capsh's `--` hands the
 * rest to bash, so bash execs the command in place (same pid, no extra process).
 */
export function capsh(...options: string[]): string[] {
  return ["capsh", ...options, "--", "-c", 'exec "$0" "$@"'];
}
