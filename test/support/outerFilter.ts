// An outer seccomp filter around a command, as a hostile or unusual runtime would install it:
// the profile is compiled by sbx's own compiler, then a small Python helper installs the BPF
// (as root, without no_new_privs) and execs the command under it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "bun:test";
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
os.execv(sys.argv[2], sys.argv[2:])
`;

export interface Rule {
  names: string[];
  action?: string;
  errnoRet?: number;
  args?: { index: number; value: number; op: string }[];
}

const dir = mkdtempSync(join(tmpdir(), "sbx-outer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const helper = join(dir, "install.py");
writeFileSync(helper, INSTALL);
let seq = 0;

/**
 * A `via` prefix that runs the command under a filter answering these rules (everything else
 * allowed); with `nnp`, no_new_privs is set first, as a runtime with allowPrivilegeEscalation false does.
 */
export function outerFilter(rules: Rule[], { nnp = false } = {}): string[] {
  const n = seq++;
  const profile = join(dir, `p${n}.json`);
  const bpf = join(dir, `p${n}.bpf`);
  writeFileSync(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: rules.map((r) => ({ action: "SCMP_ACT_ERRNO", ...r })) }));
  const c = run([SBX, "seccomp", "compile", profile, "-o", bpf]);
  expect(c.stderr).toBe("");
  return ["env", `OUTER_NNP=${nnp ? 1 : 0}`, "/usr/bin/python3", "-S", "-I", helper, bpf];
}
