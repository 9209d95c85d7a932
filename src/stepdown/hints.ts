// Likely causes for a failed system call, by step and errno: the part of a message that tells a
// person what to change. Read lazily (only on failure); a failure to read just omits the detail.
import { readFileSync } from "node:fs";
import { errnoName } from "../sys/errno.ts";

function procLine(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim().replace(/\s+/g, " ");
  } catch {
    return null;
  }
}

const mapping = (file: "uid_map" | "gid_map") => {
  const m = procLine(`/proc/self/${file}`);
  return m ? ` (/proc/self/${file}: "${m}")` : "";
};

export function groupsHint(errno: number): string {
  const e = errnoName(errno);
  if (e === "EPERM") {
    const deny = procLine("/proc/self/setgroups") === "deny";
    return deny
      ? "this user namespace has /proc/self/setgroups = deny (unshare -r, rootless runtimes): supplementary groups cannot be changed; accept with --allow-degraded groups"
      : "CAP_SETGID is missing or an LSM/seccomp filter refuses setgroups";
  }
  if (e === "EINVAL") return `a gid is not mapped in this user namespace${mapping("gid_map")}`;
  return "unexpected error from setgroups";
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

export function execHint(errno: number): string {
  switch (errnoName(errno)) {
    case "EAGAIN": return "RLIMIT_NPROC reached for the target uid";
    case "ENOEXEC": return "not a binary this kernel runs and no #! line";
    case "EPERM": return "the file has capabilities the bounding set does not allow, or an LSM/mount option (nosuid/noexec) refuses it";
    case "E2BIG": return "argument list and environment too long";
    case "ETXTBSY": return "the file is open for writing";
    case "ENOENT": return "the file or its interpreter (#! line / dynamic loader) does not exist";
    case "EACCES": return "no execute permission for the target user, or the file system is mounted noexec";
    default: return "unexpected error from execve";
  }
}
