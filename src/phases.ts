// Phase marks for the start-up breakdown of scripts/bench-stepdown.ts. They exist only in the
// bench's own instrumented build (`--define SBX_PHASES=true`); every other build defines it false,
// so each function below returns at once and the minifier drops the rest. Run from source (the
// tests), SBX_PHASES is not defined and the marks are off too. main.ts imports this module first:
// its top-level statement is the first of sbx's code to run.
import type { Kernel } from "./stepdown/run.ts";

declare const SBX_PHASES: boolean | undefined;

export const PHASES: boolean = typeof SBX_PHASES === "boolean" && SBX_PHASES;

const marks = new Map<string, number>();

/** The wall clock when `name` is first reached, in ms since the epoch: the bench reads the same clock. */
export function mark(name: string): void {
  if (PHASES && !marks.has(name)) marks.set(name, performance.timeOrigin + performance.now());
}

/** One line with every mark so far, through `write` (to fd 2), right before execve or exit. */
export function flushMarks(write: (line: string) => void): void {
  if (PHASES) write(`sbx-phases ${[...marks].map(([n, t]) => `${n}=${t.toFixed(3)}`).join(" ")}`);
}

/** The runner's kernel with a mark at the first call of each phase, and the marks written right before execve. */
export function markedKernel(k: Kernel, write: (line: string) => void): Kernel {
  if (!PHASES) return k;
  const at = (name: string) => mark(name);
  return {
    ...k,
    setCloexec: (fd, on) => (at("stepdown"), k.setCloexec(fd, on)),
    readState: () => (at("verify"), k.readState()),
    lookPath: (command, path) => (at("verified"), k.lookPath(command, path)),
    installFilter: (bytes, flags) => (at("seccomp"), k.installFilter(bytes, flags)),
    resetSignals: () => (at("signals"), k.resetSignals()),
    prepareExecve: (path, argv, env) => {
      const go = k.prepareExecve(path, argv, env);
      return () => (at("execve"), flushMarks(write), go());
    },
  };
}

mark("start");
