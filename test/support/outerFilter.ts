// An outer seccomp filter around a command, as a hostile or unusual runtime would install it:
// the profile is compiled by sbx's own compiler, then a small Python helper installs the BPF
// (as root, without no_new_privs) and execs the command under it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "bun:test";
import { run, SBX } from "./sbx.ts";

const INSTALL = `
import ctypes, os, sys
prog = open(sys.argv[1], "rb").read()
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if os.environ.get("OUTER_NNP") == "1" and libc.prctl(38, 1, 0, 0, 0) != 0: sys.exit("no_new_privs: errno %d" % ctypes.get_errno())
if libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0: sys.exit("seccomp: errno %d" % ctypes.get_errno())
os.execvp(sys.argv[2], sys.argv[2:])
`;

export interface Rule {
  names: string[];
  action?: string;
  errnoRet?: number;
  args?: { index: number; value: number; op: string }[];
}

// Shared by every test file that imports this module (bun caches it), so removed at exit, not afterAll.
let dir: string | null = null;
let seq = 0;
function scratch(): string {
  if (dir === null) {
    const made = mkdtempSync(join(tmpdir(), "sbx-outer-"));
    process.on("exit", () => rmSync(made, { recursive: true, force: true }));
    writeFileSync(join(made, "install.py"), INSTALL);
    dir = made;
  }
  return dir;
}

/**
 * A `via` prefix that runs the command under a filter answering these rules (everything else
 * allowed); with `nnp`, no_new_privs is set first, as a runtime with allowPrivilegeEscalation false does.
 */
export function outerFilter(rules: Rule[], { nnp = false } = {}): string[] {
  const d = scratch();
  const n = seq++;
  const profile = join(d, `p${n}.json`);
  const bpf = join(d, `p${n}.bpf`);
  writeFileSync(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: rules.map((r) => ({ action: "SCMP_ACT_ERRNO", ...r })) }));
  const c = run([SBX, "seccomp", "compile", profile, "-o", bpf]);
  expect(c.stderr).toBe("");
  return ["env", `OUTER_NNP=${nnp ? 1 : 0}`, "/usr/bin/python3", "-S", "-I", join(d, "install.py"), bpf];
}
