// Errno numbers to names for messages. Linux asm-generic values, identical on x86_64 and aarch64.
const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 7: "E2BIG", 8: "ENOEXEC",
  9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY",
  17: "EEXIST", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE",
  26: "ETXTBSY", 36: "ENAMETOOLONG", 38: "ENOSYS", 40: "ELOOP", 95: "EOPNOTSUPP",
};

export function errnoName(n: number): string {
  return NAMES[n] ?? `errno ${n}`;
}

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EACCES = 13;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOSYS = 38;
