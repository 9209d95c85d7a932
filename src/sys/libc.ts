// The one place that imports bun:ffi. Everything here runs on the JS main thread, which is
// also the thread that later calls execve: credentials, the bounding set, no_new_privs and
// seccomp are per-thread in the kernel, so they must all be changed from here.
import { dlopen, FFIType, read } from "bun:ffi";
import { cBytes } from "../text/bytes.ts";
import { Errno } from "./errno.ts";


const { i32, u32, i64, u64, ptr } = FFIType;

const symbols = {
  __errno_location: { args: [], returns: ptr },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  capget: { args: [ptr, ptr], returns: i32 },
  capset: { args: [ptr, ptr], returns: i32 },
  getresuid: { args: [ptr, ptr, ptr], returns: i32 },
  getresgid: { args: [ptr, ptr, ptr], returns: i32 },
  // glibc and musl broadcast set*id and setgroups to every thread (nptl setxid / __synccall),
  // so Bun's helper threads lose root too; that is why these go through libc, not syscall(2).
  setresuid: { args: [u32, u32, u32], returns: i32 },
  setresgid: { args: [u32, u32, u32], returns: i32 },
  setfsuid: { args: [u32], returns: i32 },
  setfsgid: { args: [u32], returns: i32 },
  getgroups: { args: [i32, ptr], returns: i32 },
  setgroups: { args: [u64, ptr], returns: i32 },
  syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 },
  execve: { args: [ptr, ptr, ptr], returns: i32 },
  _exit: { args: [i32], returns: FFIType.void },
  write: { args: [i32, ptr, u64], returns: i64 },
  openat: { args: [i32, ptr, i32, u32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  ftruncate: { args: [i32, i64], returns: i32 },
  access: { args: [ptr, i32], returns: i32 },
  readlink: { args: [ptr, ptr, u64], returns: i64 },
  close: { args: [i32], returns: i32 },
  fcntl: { args: [i32, i32, u64], returns: i32 },
  dup2: { args: [i32, i32], returns: i32 },
  sigaction: { args: [i32, ptr, ptr], returns: i32 },
  pthread_sigmask: { args: [i32, ptr, ptr], returns: i32 },
  setsid: { args: [], returns: i32 },
  getpgid: { args: [i32], returns: i32 },
  chdir: { args: [ptr], returns: i32 },
  getauxval: { args: [u64], returns: u64 },
  getxattr: { args: [ptr, ptr, ptr, u64], returns: i64 },
  isatty: { args: [i32], returns: i32 },
  uname: { args: [ptr], returns: i32 },
} as const;

/** Candidate sonames, in order: glibc first, then musl's per-arch name and its loader. */
function candidates(): string[] {
  const m = process.arch === "arm64" ? "aarch64" : "x86_64";
  return ["libc.so.6", `libc.musl-${m}.so.1`, `/lib/ld-musl-${m}.so.1`];
}

function open() {
  let last: unknown;
  for (const name of candidates()) {
    try {
      return dlopen(name, symbols).symbols;
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`cannot load libc (tried ${candidates().join(", ")}): ${String(last)}`);
}

export const libc = open();

/** errno of the call that just failed. Read immediately after it, on the same thread. */
export function errno(): Errno {
  return Errno.of(read.i32(libc.__errno_location()!, 0));
}

/** Per-arch syscall numbers for the few calls libc does not wrap everywhere. */
export const SYS =
  process.arch === "arm64"
    ? { gettid: 178, seccomp: 277, close_range: 436, landlock_create_ruleset: 444, landlock_add_rule: 445, landlock_restrict_self: 446, getcwd: 17, pread64: 67, statx: 291, prlimit64: 261, umask: 166, ioctl: 29 }
    : { gettid: 186, seccomp: 317, close_range: 436, landlock_create_ruleset: 444, landlock_add_rule: 445, landlock_restrict_self: 446, getcwd: 79, pread64: 17, statx: 332, prlimit64: 302, umask: 95, ioctl: 16 };

/** A NUL-terminated copy of the byte string s for passing as char*. The caller keeps it alive. */
export const cstr = cBytes;
