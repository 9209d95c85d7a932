// The parts of Docker's default seccomp profile (moby/profiles seccomp/default.json, Apache-2.0)
// that sbx's built-in profiles start from, limited to the architectures sbx compiles for.
import type { ProfileInput } from "../profile.ts";

type Rule = NonNullable<ProfileInput["syscalls"]>[number];

/** Docker's unconditional allow list, less the names neither x86_64 nor aarch64 has. */
export const DOCKER_ALLOWED: readonly string[] = [
  "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
  "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime", "clock_nanosleep", "close", "close_range",
  "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
  "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
  "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir",
  "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock",
  "fork", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_requeue",
  "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
  "geteuid", "getgid", "getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
  "getpriority", "getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid",
  "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getxattr", "getxattrat",
  "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
  "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "kill", "landlock_add_rule",
  "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listmount",
  "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise",
  "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
  "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
  "mq_timedsend", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
  "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause",
  "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
  "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pwrite64", "pwritev",
  "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg",
  "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
  "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
  "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
  "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
  "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsuid",
  "setgid", "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid",
  "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr",
  "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
  "socketpair", "splice", "stat", "statfs", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
  "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
  "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask",
  "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid",
  "write", "writev",
];

const WORD = 0xffffffff;

/** `(arg & 0xffffffff) == value`: an int argument, whatever the high bits of the register. */
export const low32Equals = (index: number, value: number) =>
  ({ index, value: WORD, valueTwo: value, op: "SCMP_CMP_MASKED_EQ" }) as const;

/** (w & mask) == value on a 32-bit word. */
interface Cube {
  mask: number;
  value: number;
}
const bitOf = (v: number, b: number) => (v >>> b) & 1;
const holds = (c: Cube, v: number) => ((v & c.mask) >>> 0) === c.value;

/**
 * Cubes whose union is every 32-bit value except `points`. A value that differs from the points in
 * a bit they all share is caught by a one-bit cube. The rest agree with them there and differ only
 * in the bits where the points differ among themselves: split on those bits, keep the parts no
 * point lies in, and widen each by every bit it can drop without taking in a point.
 */
function coverOfAllBut(points: readonly number[]): Cube[] {
  const bits = Array.from({ length: 32 }, (_, b) => b);
  const sharedBit = (b: number) => points.every((p) => bitOf(p, b) === bitOf(points[0]!, b));
  const shared = bits.filter(sharedBit).map((b) => ({ mask: 2 ** b, value: bitOf(points[0]!, b) ? 0 : 2 ** b }));
  const differing = bits.filter((b) => !sharedBit(b));
  const parts: Cube[] = [];
  const split = (c: Cube, inside: readonly number[], depth: number) => {
    if (inside.length === 0) return void parts.push(c);
    if (depth === differing.length) return; // c holds one of the points
    const bit = 2 ** differing[depth]!;
    for (const v of [0, bit]) {
      const half = { mask: (c.mask | bit) >>> 0, value: (c.value | v) >>> 0 };
      split(half, inside.filter((p) => holds(half, p)), depth + 1);
    }
  };
  split({ mask: 0, value: 0 }, points, 0);
  const widened = parts.map((c) =>
    differing.reduce((cube, b) => {
      const wider = { mask: (cube.mask & ~(2 ** b)) >>> 0, value: (cube.value & ~(2 ** b)) >>> 0 };
      return cube.mask & (2 ** b) && !points.some((p) => holds(wider, p)) ? wider : cube;
    }, c),
  );
  const distinct = [...new Map(widened.map((c) => [`${c.mask}/${c.value}`, c])).values()];
  const within = (a: Cube, b: Cube) => (b.mask & ~a.mask) === 0 && ((a.value ^ b.value) & b.mask) === 0;
  return [...shared, ...distinct.filter((c, i) => !distinct.some((d, j) => j !== i && within(c, d)))];
}

/**
 * Rules allowing `names` for every value of args[index] except `values` on its low 32 bits. For
 * an int argument the kernel ignores the high bits of the register, so a deny must too, or
 * `(1 << 32) | TIOCSTI` slips past it (CVE-2019-10063). Written as alternatives that allow (one
 * MASKED_EQ each) rather than as a deny beside an unconditional allow: runc and libseccomp let
 * an unconditional rule win over every argument rule, so only this form holds under them too.
 */
export function allowAllBut(names: readonly string[], index: number, values: readonly number[], comment: string): Rule[] {
  return coverOfAllBut(values).map((c) => ({
    names: [...names],
    action: "SCMP_ACT_ALLOW",
    args: [{ index, value: c.mask, valueTwo: c.value, op: "SCMP_CMP_MASKED_EQ" }],
    comment,
  }));
}

const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
export const CLONE_NEWUSER = 0x10000000;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACES = 0x7e020000;
const AF_ALG = 38;
const AF_VSOCK = 40;
export const DOCKER_DENIED_FAMILIES = [AF_ALG, AF_VSOCK];

/** Terminal injection: TIOCSTI pushes input into the controlling terminal, TIOCLINUX pastes from the console. */
export const ioctlRules = (): Rule[] => allowAllBut(["ioctl"], 1, [TIOCSTI, TIOCLINUX], "sbx: any ioctl but TIOCSTI and TIOCLINUX");

/** Docker allows every socket family but AF_ALG and AF_VSOCK (compared on 64 bits there: here on the low 32). */
export const socketRules = (deniedFamilies: readonly number[]): Rule[] =>
  allowAllBut(["socket"], 0, deniedFamilies, "sbx: any socket family but these, on the low 32 bits");

/** personality(2) only for the values Docker allows: PER_LINUX, UNAME26, PER_LINUX32, both, and the query. */
export const PERSONALITY_RULES: Rule[] = [0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({
  names: ["personality"],
  action: "SCMP_ACT_ALLOW",
  args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
}));

/** Docker allows these to everyone on kernels from 4.8, where ptrace can no longer bypass seccomp. */
export const PTRACE_FROM_4_8: Rule = {
  names: ["process_vm_readv", "process_vm_writev", "ptrace"],
  action: "SCMP_ACT_ALLOW",
  includes: { minKernel: "4.8" },
};

export const ARCH_SPECIFIC_RULES: Rule[] = [
  { names: ["arch_prctl", "modify_ldt"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64"] } },
];

/** Without CAP_SYS_ADMIN: threads and processes, but no new namespaces. */
export const CLONE_WITHOUT_NAMESPACES: Rule = {
  names: ["clone"],
  action: "SCMP_ACT_ALLOW",
  args: [{ index: 0, value: CLONE_NAMESPACES, op: "SCMP_CMP_MASKED_EQ" }],
  excludes: { caps: ["CAP_SYS_ADMIN"] },
};

/**
 * clone3 passes its flags in memory, where seccomp cannot look, so it gets ENOSYS: glibc and musl
 * then use clone, whose flags the rules above can check.
 */
export const CLONE3_ENOSYS: Rule = { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 };

/** Docker's capability-gated allowances, by capability. */
export const CAPABILITY_ALLOWANCES: Readonly<Record<string, readonly string[]>> = {
  CAP_DAC_READ_SEARCH: ["open_by_handle_at"],
  CAP_SYS_ADMIN: [
    "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
    "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount", "open_tree",
    "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount2",
    "unshare",
  ],
  CAP_SYS_BOOT: ["reboot"],
  CAP_SYS_CHROOT: ["chroot"],
  CAP_SYS_MODULE: ["delete_module", "init_module", "finit_module"],
  CAP_SYS_PACCT: ["acct"],
  CAP_SYS_PTRACE: ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
  CAP_SYS_RAWIO: ["iopl", "ioperm"],
  CAP_SYS_TIME: ["settimeofday", "clock_settime"],
  CAP_SYS_TTY_CONFIG: ["vhangup"],
  CAP_SYS_NICE: ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
  CAP_SYSLOG: ["syslog"],
  CAP_BPF: ["bpf"],
  CAP_PERFMON: ["perf_event_open"],
};

export function capabilityRules(allowances: Readonly<Record<string, readonly string[]>>): Rule[] {
  return Object.entries(allowances)
    .filter(([, names]) => names.length > 0)
    .map(([cap, names]) => ({ names: [...names], action: "SCMP_ACT_ALLOW", includes: { caps: [cap] } }));
}

export const ARCH_MAP: ProfileInput["archMap"] = [
  // No sub-architectures: i386, x32 and arm syscalls never reach these rules.
  { architecture: "SCMP_ARCH_X86_64", subArchitectures: [] },
  { architecture: "SCMP_ARCH_AARCH64", subArchitectures: [] },
];
