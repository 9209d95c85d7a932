#!/usr/bin/python3
# Builds a filter with libseccomp (Debian python3-seccomp) the way runc does for a profile whose
# includes/excludes are already evaluated, and exports its BPF, for test/seccomp/libseccomp.ts.
#   stdin:  {"defaultAction": "...", "defaultErrnoRet": n, "rules": [{"names": [...], "action": "...", "errnoRet": n, "args": [...]}]}
#   argv[1]: where to write the BPF; argv[2], optional: libseccomp's optimization level (2: binary tree)
#   stdout: {"unnamed": [names libseccomp does not know], "last": highest number it resolved}
# As runc's matchCall: a rule whose action equals the default is skipped (libseccomp would refuse
# it), an unknown name is skipped, and each name is its own rule.
import json
import sys

import seccomp

OPS = {
    "SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE, "SCMP_CMP_EQ": seccomp.EQ,
    "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT, "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ,
}


def action(name, data):
    if name in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"):
        return seccomp.KILL
    if name == "SCMP_ACT_KILL_PROCESS":
        return seccomp.KILL_PROCESS
    if name == "SCMP_ACT_TRAP":
        return seccomp.TRAP
    if name == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(1 if data is None else data)
    if name == "SCMP_ACT_TRACE":
        return seccomp.TRACE(1 if data is None else data)
    if name == "SCMP_ACT_LOG":
        return seccomp.LOG
    if name == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW
    raise SystemExit(f"action {name} not handled")


spec = json.load(sys.stdin)
default = action(spec["defaultAction"], spec.get("defaultErrnoRet"))
f = seccomp.SyscallFilter(default)
if len(sys.argv) > 2:
    f.set_attr(seccomp.Attr.CTL_OPTIMIZE, int(sys.argv[2]))
unnamed, last = set(), -1
for rule in spec["rules"]:
    act = action(rule["action"], rule.get("errnoRet"))
    for name in rule["names"]:
        nr = seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
        if nr == -1:  # __NR_SCMP_ERROR: libseccomp has never heard of it
            unnamed.add(name)
        if nr < 0:  # unknown, or a pseudo-number for another architecture's syscall
            continue
        last = max(last, nr)
        if act == default:
            continue
        args = [seccomp.Arg(a["index"], OPS[a["op"]], int(a["value"]), int(a.get("valueTwo", 0))) for a in rule.get("args") or []]
        f.add_rule(act, name, *args)
with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)
print(json.dumps({"unnamed": sorted(unnamed), "last": last}))
