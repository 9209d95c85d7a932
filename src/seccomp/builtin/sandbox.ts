// `sandbox`: for untrusted agent workloads. `default`, less what lets a process reach the kernel's
// larger attack surfaces or other processes, whatever capabilities it kept: mounts, BPF, perf,
// ptrace and process_vm_*, kernel modules, open_by_handle_at, user namespaces, installing its own
// seccomp filters, and sockets beyond ordinary networking. keyctl/add_key/request_key, userfaultfd,
// io_uring_* and kexec_* get EPERM as in `default`, which never allows them. memfd_create stays
// allowed: Node, V8 and CUDA need it.
import type { ProfileInput } from "../profile.ts";
import {
  ARCH_MAP,
  ARCH_SPECIFIC_RULES,
  CAPABILITY_ALLOWANCES,
  capabilityRules,
  CLONE3_ENOSYS,
  CLONE_NEWUSER,
  CLONE_WITHOUT_NAMESPACES,
  allowAllBut,
  DOCKER_ALLOWED,
  DOCKER_DENIED_FAMILIES,
  ioctlRules,
  low32Equals,
  PERSONALITY_RULES,
  socketRules,
} from "./docker.ts";

const AF_NETLINK = 16;
const AF_PACKET = 17;
const AF_BLUETOOTH = 31;
const NETLINK_ROUTE = 0;
const PR_SET_SECCOMP = 22;
const SECCOMP_MODE_FILTER = 2;
// seccomp(2) operations other than SECCOMP_SET_MODE_FILTER (1).
const SECCOMP_SET_MODE_STRICT = 0;
const SECCOMP_GET_ACTION_AVAIL = 2;
const SECCOMP_GET_NOTIF_SIZES = 3;

/** Capability-gated allowances `sandbox` drops: each reaches a large kernel surface or another process. */
const WITHHELD: Readonly<Record<string, readonly string[]>> = {
  CAP_DAC_READ_SEARCH: ["open_by_handle_at"],
  CAP_SYS_ADMIN: [
    "bpf", "clone", "clone3", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount",
    "open_tree", "perf_event_open", "setns", "umount2", "unshare",
  ],
  CAP_SYS_MODULE: ["delete_module", "init_module", "finit_module"],
  CAP_SYS_PTRACE: ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
  CAP_BPF: ["bpf"],
  CAP_PERFMON: ["perf_event_open"],
};

const allowances = Object.fromEntries(
  Object.entries(CAPABILITY_ALLOWANCES).map(([cap, names]) => [cap, names.filter((n) => !WITHHELD[cap]?.includes(n))]),
);

const withoutNewUser = { index: 0, value: CLONE_NEWUSER, op: "SCMP_CMP_MASKED_EQ" } as const;

export const sandboxProfile = (): ProfileInput => ({
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: ARCH_MAP,
  syscalls: [
    { names: DOCKER_ALLOWED.filter((n) => !["seccomp", "ioctl", "prctl"].includes(n)), action: "SCMP_ACT_ALLOW" },
    ...ioctlRules(),
    ...socketRules([...DOCKER_DENIED_FAMILIES, AF_PACKET, AF_BLUETOOTH, AF_NETLINK]),
    {
      names: ["socket"],
      action: "SCMP_ACT_ALLOW",
      // Only NETLINK_ROUTE, which getifaddrs(3) needs; NETLINK_SOCK_DIAG and the rest list other
      // processes' sockets or talk to kernel subsystems. a2 compared on 64 bits: with a high bit
      // set it is not NETLINK_ROUTE.
      args: [low32Equals(0, AF_NETLINK), { index: 2, value: NETLINK_ROUTE, op: "SCMP_CMP_EQ" }],
      comment: "sbx: netlink only for NETLINK_ROUTE",
    },
    ...PERSONALITY_RULES,
    ...ARCH_SPECIFIC_RULES,
    ...capabilityRules(allowances),
    CLONE_WITHOUT_NAMESPACES,
    { names: ["clone", "unshare"], action: "SCMP_ACT_ALLOW", args: [withoutNewUser], includes: { caps: ["CAP_SYS_ADMIN"] } },
    CLONE3_ENOSYS,
    // The workload may not stack filters of its own: seccomp(2) for every operation but
    // SECCOMP_SET_MODE_FILTER, and prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) denied.
    ...[SECCOMP_SET_MODE_STRICT, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES].map((operation) => ({
      names: ["seccomp"],
      action: "SCMP_ACT_ALLOW" as const,
      args: [{ index: 0, value: operation, op: "SCMP_CMP_EQ" as const }],
    })),
    // prctl for everything but (PR_SET_SECCOMP, SECCOMP_MODE_FILTER): a0 is not the one, or a1 is not.
    ...allowAllBut(["prctl"], 0, [PR_SET_SECCOMP], "sbx: no filters of the workload's own"),
    ...allowAllBut(["prctl"], 1, [SECCOMP_MODE_FILTER], "sbx: no filters of the workload's own"),
  ],
});
