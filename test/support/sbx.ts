// Running the real binary. Tests exec dist/sbx (built by `npm test` before bun test starts).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const SBX = join(ROOT, "dist/sbx");
export const SHARED = resolve(ROOT, "../shared");

if (!existsSync(SBX)) throw new Error(`${SBX} is missing: run the tests with \`npm test\` (it builds first)`);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
}

/** Run any command line to completion. */
export function run(cmd: string[], opts: RunOptions = {}): Run {
  const p = Bun.spawnSync(cmd, {
    env: opts.env ?? { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? 128 + (p.signalCode ? 9 : 0), stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** `dist/sbx ARGS…`, optionally behind a wrapper that sets up the process state (capsh, setpriv, unshare). */
export function sbx(args: string[], opts: RunOptions & { via?: string[] } = {}): Run {
  return run([...(opts.via ?? []), SBX, ...args], opts);
}

/** Fields of a /proc/<pid>/status text. */
export function statusFields(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split("\n").filter((l) => l.includes(":")).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i), l.slice(i + 1).trim()];
    }),
  );
}
