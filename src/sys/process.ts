// Process-level calls used around the step-down: stdio, fds, signals, session, exec, exit.
import { ptr } from "bun:ffi";
import { cstr, errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const O_RDWR = 2;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const CLOSE_RANGE_CLOEXEC = 1 << 2;
const SIG_SETMASK = 2;
const SIG_IGN = 1n;
const AT_SECURE = 23;

/** Synchronous write to fd 2: console output can be lost when the image is replaced right after. */
export function writeStderr(line: string): void {
  const b = Buffer.from(line.endsWith("\n") ? line : line + "\n", "utf8");
  let off = 0;
  while (off < b.length) {
    const n = Number(libc.write(2, b.subarray(off), b.length - off));
    if (n <= 0) return;
    off += n;
  }
}

export function writeFd(fd: number, data: string | Uint8Array): SysResult {
  const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < b.length) {
    const n = Number(libc.write(fd, b.subarray(off), b.length - off));
    if (n <= 0) return fail(`write(fd ${fd})`, errno());
    off += n;
  }
  return ok(0);
}

export function exit(code: number): never {
  libc._exit(code);
  throw new Error("unreachable: _exit returned");
}

export function isOpen(fd: number): boolean {
  return libc.fcntl(fd, F_GETFD, 0) >= 0;
}

/** Open /dev/null onto each of fds 0..2 that is closed, before anything else can land there. */
export function ensureStdio(): SysResult {
  for (let fd = 0; fd <= 2; fd++) {
    if (isOpen(fd)) continue;
    const n = libc.open(cstr("/dev/null"), O_RDWR, 0);
    if (n < 0) return fail("open(/dev/null)", errno());
    if (n !== fd) {
      if (libc.dup2(n, fd) < 0) return fail(`dup2(${n}, ${fd})`, errno());
      libc.close(n);
    }
  }
  return ok(0);
}

export function setCloexec(fd: number, on: boolean): SysResult {
  const cur = libc.fcntl(fd, F_GETFD, 0);
  if (cur < 0) return fail(`fcntl(${fd}, F_GETFD)`, errno());
  const next = on ? cur | FD_CLOEXEC : cur & ~FD_CLOEXEC;
  return libc.fcntl(fd, F_SETFD, next) < 0 ? fail(`fcntl(${fd}, F_SETFD)`, errno()) : ok(0);
}

/**
 * Mark every fd from `first` up close-on-exec. Marking (not closing) keeps the runtime's own
 * fds working until execve, which then closes them all.
 */
export function cloexecFrom(first: number): SysResult {
  const r = libc.syscall(SYS.close_range, first, 0xffffffff, CLOSE_RANGE_CLOEXEC, 0, 0);
  return r < 0 ? fail("close_range(CLOSE_RANGE_CLOEXEC)", errno()) : ok(0);
}

/**
 * Empty this thread's signal mask and turn every ignored signal back to default: SIG_IGN
 * survives execve, and Bun ignores SIGPIPE and SIGXFSZ. Caught signals reset by themselves.
 * libc refuses its internal signals (32, 33) with EINVAL; those are skipped.
 */
export function resetSignals(): SysResult {
  const empty = new Uint8Array(128);
  if (libc.pthread_sigmask(SIG_SETMASK, empty, null) !== 0) return fail("pthread_sigmask", errno());
  const old = new BigUint64Array(32);
  const dfl = new Uint8Array(256); // all zero: SIG_DFL, no flags, empty mask, in every libc's layout
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue;
    if (libc.sigaction(sig, null, old) < 0) continue;
    if (old[0] === SIG_IGN && libc.sigaction(sig, dfl, null) < 0) {
      return fail(`sigaction(${sig}, SIG_DFL)`, errno());
    }
  }
  return ok(0);
}

export function setsid(): SysResult {
  return libc.setsid() < 0 ? fail("setsid", errno()) : ok(0);
}

export function chdir(dir: string): SysResult {
  return libc.chdir(cstr(dir)) < 0 ? fail(`chdir(${dir})`, errno()) : ok(0);
}

/**
 * The working directory as the kernel's getcwd(2) gives it, through the raw system call: libc
 * versions differ in how they hand on "(unreachable)/…", the kernel's answer for a directory
 * outside this process's root. ENOENT: the directory was deleted.
 */
export function getcwd(): SysResult<string> {
  const buf = new Uint8Array(4096); // PATH_MAX; a longer path is ERANGE
  const n = Number(libc.syscall(SYS.getcwd, ptr(buf), buf.length, 0, 0, 0));
  if (n < 0) return fail("getcwd", errno());
  return ok(Buffer.from(buf.subarray(0, n - 1)).toString("utf8")); // n counts the NUL
}

/** AT_SECURE from the aux vector: the kernel says this exec crossed a privilege boundary. */
export function atSecure(): boolean {
  return BigInt(libc.getauxval(AT_SECURE)) !== 0n;
}

export function gettid(): number {
  return Number(libc.syscall(SYS.gettid, 0, 0, 0, 0, 0));
}

/**
 * execve(path, argv, envp) on this thread, with every buffer built now: calling the result makes
 * the one system call and nothing else (after a seccomp install, only what the filter was checked
 * for may follow). It returns only on failure. The closure holds the buffers alive.
 */
export function prepareExecve(path: string, argv: readonly string[], env: readonly string[]): () => SysResult<never> {
  const strings = [cstr(path), ...argv.map(cstr), ...env.map(cstr)];
  const table = (from: number, count: number) => {
    const t = new BigUint64Array(count + 1);
    for (let i = 0; i < count; i++) t[i] = BigInt(ptr(strings[from + i]!));
    return t;
  };
  const argvT = table(1, argv.length);
  const envT = table(1 + argv.length, env.length);
  return () => {
    libc.execve(strings[0]!, argvT, envT);
    const e = errno(); // before building the message, which may make system calls of its own
    return fail(`execve(${path})`, e);
  };
}
