// Likely causes for a failed system call, by step and errno: the part of a message that tells a
// person what to change. Read lazily (only on failure); a failure to read just omits the detail.
import { readdirSync, readFileSync } from "node:fs";
import { errnoName } from "../sys/errno.ts";

function procText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

const procLine = (path: string) => procText(path)?.trim().replace(/\s+/g, " ") ?? null;

const mapping = (file: "uid_map" | "gid_map") => {
  const m = procLine(`/proc/self/${file}`);
  return m ? ` (/proc/self/${file}: "${m}")` : "";
};

export function groupsHint(errno: number): string {
  const e = errnoName(errno);
  if (e === "EPERM") {
    const deny = procLine("/proc/self/setgroups") === "deny";
    return deny
      ? "this user namespace has /proc/self/setgroups = deny (unshare -r, rootless runtimes): supplementary groups cannot be changed"
      : "CAP_SETGID is missing or an LSM/seccomp filter refuses setgroups";
  }
  if (e === "EINVAL") return `a gid is not mapped in this user namespace${mapping("gid_map")}`;
  return "unexpected error from setgroups";
}

/**
 * Groups as a list, naming the overflow gid: in a user namespace every inherited group that is not
 * mapped shows as it, yet still grants that group's access outside.
 */
export function groupsText(groups: readonly number[]): string {
  const overflow = Number(procLine("/proc/sys/kernel/overflowgid") ?? "65534");
  const list = `[${groups.join(",")}]`;
  return groups.includes(overflow) ? `${list} (${overflow} = the overflow gid: groups not mapped in this user namespace, still granting their access)` : list;
}

export function idHint(kind: "uid" | "gid", errno: number): string {
  const e = errnoName(errno);
  if (e === "EINVAL") return `the ${kind} is not mapped in this user namespace${mapping(kind === "uid" ? "uid_map" : "gid_map")}`;
  if (e === "EAGAIN") return "RLIMIT_NPROC reached for the target uid (it already has too many processes)";
  if (e === "EPERM") return `CAP_SET${kind.toUpperCase()} is missing or an outer seccomp filter/LSM refuses set*id`;
  return `unexpected error from setres${kind[0]}id`;
}

export function capsHint(errno: number): string {
  const e = errnoName(errno);
  if (e === "EPERM") return "the capability is not permitted/inheritable, securebit no_cap_ambient_raise is set, or an outer seccomp filter/LSM refuses capset/prctl";
  if (e === "EINVAL") return "the kernel does not know this capability or does not support ambient capabilities (Linux < 4.3)";
  return "unexpected error";
}

/**
 * execve's EAGAIN: after the uid change the kernel counts every task of that uid against
 * RLIMIT_NPROC, sbx's own runtime threads included (they exist until execve).
 */
function nprocHint(uid: number): string {
  const limit = /^Max processes\s+(\S+)/m.exec(procText("/proc/self/limits") ?? "")?.[1];
  let threads = "its";
  try {
    threads = String(readdirSync("/proc/self/task").length);
  } catch {
    // without procfs the count is only left out
  }
  return `RLIMIT_NPROC${limit ? ` (ulimit -u ${limit})` : ""} reached for uid ${uid}: its processes plus sbx's ${threads} threads exceed it; ` +
    "nothing was executed — raise the limit (ulimit -u, docker --ulimit nproc) or stop processes of that uid";
}

export function execHint(errno: number, uid: number): string {
  switch (errnoName(errno)) {
    case "EAGAIN": return nprocHint(uid);
    case "ENOEXEC": return "not a binary this kernel runs and no #! line";
    case "EPERM": return "the file has capabilities the bounding set does not allow, or an LSM/mount option (nosuid/noexec) refuses it";
    case "E2BIG": return "argument list and environment too long";
    case "ETXTBSY": return "the file is open for writing";
    case "ENOENT": return "the file or its interpreter (#! line / dynamic loader) does not exist";
    case "EACCES": return "no execute permission for the target user, or the file system is mounted noexec";
    default: return "unexpected error from execve";
  }
}
