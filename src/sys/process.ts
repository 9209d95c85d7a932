// Process-level calls used around the step-down: stdio, fds, signals, session, exec, exit.
import { ptr } from "bun:ffi";
import { type ByteString, fromBytes } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { EBADF, Errno } from "./errno.ts";
import { cstr, errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const O_RDWR = 2;

const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;
const CLOSE_RANGE_CLOEXEC = 1 << 2;
const SIG_SETMASK = 2;
const SIG_IGN = 1n;
const AT_SECURE = 23;
const AT_FDCWD = -100;

/** write(2) all of `bytes` to fd, synchronously; console output can be lost when exec or _exit follows. */
export function writeAll(fd: number, bytes: Uint8Array): SysResult {
  let off = 0;
  while (off < bytes.length) {
    const n = Number(libc.write(fd, bytes.subarray(off), bytes.length - off));
    if (n < 0) return fail(errno(), `write(fd ${fd})`);
    if (n === 0) return fail(Errno.of(5), `write(fd ${fd})`); // EIO: nothing taken
    off += n;
  }
  return ok(0);
}

const encoder = new TextEncoder();

/** One line of text on fd 2, best effort (there is nowhere left to report a failure to). */
export function writeStderr(line: string): void {
  writeAll(2, encoder.encode(line.endsWith("\n") ? line : line + "\n"));
}

/** Text (UTF-16) to fd `fd`: stdout output of the commands. */
export const writeText = (fd: number, text: string): SysResult => writeAll(fd, encoder.encode(text));

export function exit(code: number): never {
  libc._exit(code);
  throw new Error("unreachable: _exit returned");
}

export const isTerminal = (fd: number) => libc.isatty(fd) === 1;

/** Whether fd is open: EBADF means closed; any other error is an answer sbx cannot use. */
export function fdOpen(fd: number): SysResult<boolean> {
  if (libc.fcntl(fd, F_GETFD, 0) >= 0) return ok(true);
  const e = errno();
  return e === EBADF ? ok(false) : fail(e, `fcntl(${fd}, F_GETFD)`);
}

export function isOpen(fd: number): boolean {
  const r = fdOpen(fd);
  return r.ok && r.value;
}

/** Open /dev/null onto each of fds 0..2 that is closed, before anything else can land there. */
export function ensureStdio(): SysResult {
  for (let fd = 0; fd <= 2; fd++) {
    const open = fdOpen(fd);
    if (!open.ok) return open;
    if (open.value) continue;
    const n = libc.openat(AT_FDCWD, cstr("/dev/null"), O_RDWR, 0);
    if (n < 0) return fail(errno(), "open(/dev/null)");
    if (n !== fd) {
      if (libc.dup2(n, fd) < 0) return fail(errno(), `dup2(${n}, ${fd})`);
      libc.close(n);
    }
  }
  return ok(0);
}

export function setCloexec(fd: number, on: boolean): SysResult {
  const cur = libc.fcntl(fd, F_GETFD, 0);
  if (cur < 0) return fail(errno(), `fcntl(${fd}, F_GETFD)`);
  const next = on ? cur | FD_CLOEXEC : cur & ~FD_CLOEXEC;
  return libc.fcntl(fd, F_SETFD, next) < 0 ? fail(errno(), `fcntl(${fd}, F_SETFD)`) : ok(0);
}

/** Set or clear O_NONBLOCK; returns the previous file status flags, to restore them. */
export function setNonblock(fd: number, on: boolean): SysResult<number> {
  const cur = libc.fcntl(fd, F_GETFL, 0);
  if (cur < 0) return fail(errno(), `fcntl(${fd}, F_GETFL)`);
  const next = on ? cur | O_NONBLOCK : cur & ~O_NONBLOCK;
  return libc.fcntl(fd, F_SETFL, next) < 0 ? fail(errno(), `fcntl(${fd}, F_SETFL)`) : ok(cur);
}

export function restoreFlags(fd: number, flags: number): SysResult {
  return libc.fcntl(fd, F_SETFL, flags) < 0 ? fail(errno(), `fcntl(${fd}, F_SETFL)`) : ok(0);
}

/**
 * Mark every fd from `first` up close-on-exec. Marking (not closing) keeps the runtime's own
 * fds working until execve, which then closes them all.
 */
export function cloexecFrom(first: number): SysResult {
  const r = libc.syscall(SYS.close_range, first, 0xffffffff, CLOSE_RANGE_CLOEXEC, 0, 0);
  return r < 0 ? fail(errno(), "close_range(CLOSE_RANGE_CLOEXEC)") : ok(0);
}

/**
 * Empty this thread's signal mask and turn every ignored signal back to default: SIG_IGN
 * survives execve, and Bun ignores SIGPIPE and SIGXFSZ. Caught signals reset by themselves.
 * libc refuses its internal signals (32, 33) with EINVAL; those are skipped.
 */
export function resetSignals(): SysResult {
  const empty = new Uint8Array(128);
  // pthread_sigmask returns its error instead of setting errno.
  const m = libc.pthread_sigmask(SIG_SETMASK, empty, null);
  if (m !== 0) return fail(Errno.of(m), "pthread_sigmask(SIG_SETMASK)");
  const old = new BigUint64Array(32);
  const dfl = new Uint8Array(256); // all zero: SIG_DFL, no flags, empty mask, in every libc's layout
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue;
    if (libc.sigaction(sig, null, old) < 0) continue;
    if (old[0] === SIG_IGN && libc.sigaction(sig, dfl, null) < 0) return fail(errno(), `sigaction(${sig}, SIG_DFL)`);
  }
  return ok(0);
}

/** SIG_IGN for these signals again: what Bun had, for the messages written after a failed execve. */
export function ignoreSignals(...sigs: number[]): void {
  const ign = new BigUint64Array(32);
  ign[0] = SIG_IGN;
  for (const sig of sigs) libc.sigaction(sig, ign, null);
}

/** This process leads its process group (PID 1 under `docker run -t` does): setsid then fails with EPERM. */
export const isGroupLeader = () => libc.getpgid(0) === process.pid;

export function setsid(): SysResult {
  return libc.setsid() < 0 ? fail(errno(), "setsid") : ok(0);
}

export function chdir(dir: ByteString): SysResult {
  return libc.chdir(cstr(dir)) < 0 ? fail(errno(), `chdir(${quote(dir)})`) : ok(0);
}

/**
 * The working directory as the kernel's getcwd(2) gives it, through the raw system call: libc
 * versions differ in how they hand on "(unreachable)/…", the kernel's answer for a directory
 * outside this process's root. ENOENT: the directory was deleted.
 */
export function getcwd(): SysResult<ByteString> {
  const buf = new Uint8Array(4096); // PATH_MAX; a longer path is ERANGE
  const n = Number(libc.syscall(SYS.getcwd, ptr(buf), buf.length, 0, 0, 0));
  if (n < 0) return fail(errno(), "getcwd");
  return ok(fromBytes(buf.subarray(0, n - 1))); // n counts the NUL
}

/** AT_SECURE from the aux vector: the kernel says this exec crossed a privilege boundary. */
export function atSecure(): boolean {
  return BigInt(libc.getauxval(AT_SECURE)) !== 0n;
}

/** The running kernel's release ("6.18.44-…"): uname(2), as os.release() reads it. */
export function kernelRelease(): SysResult<ByteString> {
  const UTS_LENGTH = 65; // struct utsname: sysname, nodename, release, … of 65 bytes each (glibc and musl)
  const buf = new Uint8Array(6 * UTS_LENGTH);
  if (libc.uname(buf) < 0) return fail(errno(), "uname");
  const release = buf.subarray(2 * UTS_LENGTH, 3 * UTS_LENGTH);
  const end = release.indexOf(0);
  return ok(fromBytes(end < 0 ? release : release.subarray(0, end)));
}

export function gettid(): number {
  return Number(libc.syscall(SYS.gettid, 0, 0, 0, 0, 0));
}

/**
 * execve(path, argv, envp) on this thread, with every buffer built now: calling the result makes
 * the one system call and nothing else (after a seccomp install, only what the filter was checked
 * for may follow). It returns only on failure. The closure holds the buffers alive.
 */
export function prepareExecve(path: ByteString, argv: readonly ByteString[], env: readonly ByteString[]): () => SysResult<never> {
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
    return fail(errno(), `execve(${quote(path)})`);
  };
}

