// A workload that makes raw system calls and says what each returned: the truth about a filter,
// seen from inside it. Each call is [nr, ...args]; it prints {"results": [errno or 0, …], "status":
// its /proc/self/status fields}.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const PROBE = `
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
results = []
for nr, *args in json.loads(sys.argv[1]):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(int(nr)), *[ctypes.c_ulong(int(a) & (2**64 - 1)) for a in args])
    results.append(ctypes.get_errno() if r < 0 else 0)
status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
print(json.dumps({"results": results, "status": status}))
`;

/** Write the probe into `dir` (readable by the workload's user); returns the argv for a list of calls. */
export function syscallProbe(dir: string): (calls: readonly (readonly (number | bigint | string)[])[]) => string[] {
  const path = join(dir, "probe.py");
  writeFileSync(path, PROBE, { mode: 0o644 });
  return (calls) => ["/usr/bin/python3", path, JSON.stringify(calls.map((c) => c.map(String)))];
}
