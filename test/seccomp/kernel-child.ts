// Child for kernel.test.ts: installs the filter in argv[2] on this thread (no_new_privs first),
// then makes the raw syscalls given as JSON in argv[3] ([nr, ...args] with up to five args as
// decimal strings) and prints, for each, the errno it failed with or 0 when it succeeded.
import { readFileSync, writeSync } from "node:fs";
import { errno, libc } from "../../src/sys/libc.ts";
import { setNoNewPrivs } from "../../src/sys/prctl.ts";
import { installFilter } from "../../src/sys/seccomp.ts";

if (!setNoNewPrivs().ok) process.exit(90);
if (!installFilter(new Uint8Array(readFileSync(process.argv[2]!))).ok) process.exit(91);
const calls = JSON.parse(process.argv[3]!) as [number, ...string[]][];
const results = calls.map(([nr, ...args]) => {
  const a = [0, 1, 2, 3, 4].map((i) => BigInt.asIntN(64, BigInt(args[i] ?? 0)));
  const r = libc.syscall(nr, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
  return Number(r) < 0 ? errno().code : 0;
});
const seccompLine = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("Seccomp:"));
writeSync(1, JSON.stringify({ results, seccompLine }));
