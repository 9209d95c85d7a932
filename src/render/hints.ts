// Likely causes for a failed system call, by step and errno: the part of a message that tells a
// person what to change. Read lazily (only on failure); a failure to read just omits the detail.
import { E2BIG, EACCES, EAGAIN, EINVAL, ENOENT, ENOEXEC, ENOSYS, EPERM, type Errno, ETXTBSY } from "../sys/errno.ts";
import { readSmallFile } from "../sys/file.ts";
import { listText } from "../text/quote.ts";

const procLine = (path: string) => {
  const t = readSmallFile(path);
  return t.ok ? t.value.trim().replace(/\s+/g, " ") : null;
};

const mapping = (file: "uid_map" | "gid_map") => {
  const m = procLine(`/proc/self/${file}`);
  return m ? ` (/proc/self/${file}: "${m}")` : "";
};

export function fdsHint(errno: Errno): string {
  if (errno === ENOSYS || errno === EINVAL) return "close_range with CLOSE_RANGE_CLOEXEC needs Linux 5.11";
  if (errno === EPERM) return "an outer seccomp filter or LSM refuses it";
  return "cannot mark inherited fds close-on-exec";
}

export function groupsHint(errno: Errno): string {
  if (errno === EPERM) {
    return procLine("/proc/self/setgroups") === "deny"
      ? "this user namespace has /proc/self/setgroups = deny (unshare -r, rootless runtimes): supplementary groups cannot be changed"
      : "CAP_SETGID is missing or an LSM/seccomp filter refuses setgroups";
  }
  if (errno === EINVAL) return `a gid is not mapped in this user namespace${mapping("gid_map")}`;
  return "unexpected error from setgroups";
}

/**
 * Groups as a list, naming the overflow gid: in a user namespace every inherited group that is not
 * mapped shows as it, yet still grants that group's access outside.
 */
export function groupsText(groups: readonly number[]): string {
  const overflow = Number(procLine("/proc/sys/kernel/overflowgid") ?? "65534");
  const list = listText(groups);
  return groups.includes(overflow) ? `${list} (${overflow} = the overflow gid: groups not mapped in this user namespace, still granting their access)` : list;
}

export function idHint(kind: "uid" | "gid", errno: Errno): string {
  if (errno === EINVAL) return `the ${kind} is not mapped in this user namespace${mapping(kind === "uid" ? "uid_map" : "gid_map")}`;
  if (errno === EAGAIN) return "RLIMIT_NPROC reached for the target uid (it already has too many processes)";
  if (errno === EPERM) return `CAP_SET${kind.toUpperCase()} is missing or an outer seccomp filter/LSM refuses set*id`;
  return `unexpected error from setres${kind[0]}id`;
}

export function capsHint(errno: Errno): string {
  if (errno === EPERM) return "the capability is not permitted/inheritable, securebit no_cap_ambient_raise is set, or an outer seccomp filter/LSM refuses capset/prctl";
  if (errno === EINVAL) return "the kernel does not know this capability or does not support ambient capabilities (Linux < 4.3)";
  return "unexpected error";
}

/** prctl settings that only a filter, an LSM, or a kernel that lacks them refuses. */
export function prctlHint(errno: Errno, what: string, kernel: string): string {
  if (errno === EINVAL) return `this kernel does not support ${what} (${kernel}), or an outer seccomp filter answers EINVAL`;
  if (errno === EPERM || errno === EACCES) return `an outer seccomp filter or LSM refuses ${what}`;
  return `unexpected error setting ${what}`;
}

export function sessionHint(errno: Errno): string {
  return errno === EPERM ? "sbx is a process-group leader (as PID 1 is under `docker run -t`, or a shell job): setsid is refused there" : "unexpected error from setsid";
}

export function workdirHint(errno: Errno): string {
  if (errno === EACCES) return "no search permission for the target user";
  if (errno === ENOENT) return "it does not exist";
  return "missing or not a directory";
}

/**
 * execve's EAGAIN: after the uid change the kernel counts every task of that uid against
 * RLIMIT_NPROC, sbx's own runtime threads included (they exist until execve).
 */
function nprocHint(uid: number): string {
  const limits = readSmallFile("/proc/self/limits");
  const limit = limits.ok ? /^Max processes\s+(\S+)/m.exec(limits.value)?.[1] : undefined;
  const status = readSmallFile("/proc/self/status");
  const threads = status.ok ? /^Threads:\s*(\d+)/m.exec(status.value)?.[1] ?? "its" : "its";
  return `RLIMIT_NPROC${limit ? ` (ulimit -u ${limit})` : ""} reached for uid ${uid}: its processes plus sbx's ${threads} threads exceed it; ` +
    "nothing was executed — raise the limit (ulimit -u, docker --ulimit nproc) or stop processes of that uid";
}

export function execHint(errno: Errno, uid: number): string {
  switch (errno) {
    case EAGAIN: return nprocHint(uid);
    case ENOEXEC: return "not a binary this kernel runs and no #! line";
    case EPERM: return "the file has capabilities the bounding set does not allow, or an LSM/mount option (nosuid/noexec) refuses it";
    case E2BIG: return "argument list and environment too long";
    case ETXTBSY: return "the file is open for writing";
    case ENOENT: return "the file or its interpreter (#! line / dynamic loader) does not exist";
    case EACCES: return "no execute permission for the target user, or the file system is mounted noexec";
    default: return "unexpected error from execve";
  }
}


/**
 * Why seccomp(SECCOMP_SET_MODE_FILTER) said no, for the one-line message. `kernelHasSeccomp`: the
 * kernel's own status shows a Seccomp: line, so an ENOSYS came from something between sbx and the
 * kernel — a user-mode emulator such as qemu-user, which does not implement seccomp(2).
 */
export function seccompHint(errno: Errno, flags: number, kernelHasSeccomp = false): string {
  switch (errno.name) {
    case "ENOSYS":
      return kernelHasSeccomp
        ? "the kernel has seccomp (/proc/thread-self/status shows Seccomp:), so sbx runs under an emulator such as qemu-user, which does not implement seccomp(2)"
        : "this kernel has no seccomp (CONFIG_SECCOMP off, or Linux < 3.17)";
    case "EINVAL":
      return `this kernel takes no seccomp filters (CONFIG_SECCOMP_FILTER off)${flags ? ` or not the profile's flags (0x${flags.toString(16)})` : ""}, or an outer seccomp filter answers EINVAL`;
    case "EACCES":
      return "no_new_privs is not set and CAP_SYS_ADMIN is not held, so the kernel refuses a filter";
    case "EPERM":
      return "an outer seccomp filter (or an LSM) refuses new filters";
    default:
      return "unexpected error from seccomp(2)";
  }
}

