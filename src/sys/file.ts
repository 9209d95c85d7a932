// Files through libc, with byte-string paths (a path is bytes, not text). Used instead of node:fs
// so that every errno is an Errno, paths with any bytes work, and nothing opened here blocks on a
// FIFO or follows a link sbx did not mean to follow.
import { ptr } from "bun:ffi";
import type { ByteString } from "../text/bytes.ts";
import { fromBytes } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { ERANGE } from "./errno.ts";
import { cstr, errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const ARM = process.arch === "arm64";
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  NONBLOCK: 0o4000,
  DIRECTORY: ARM ? 0o40000 : 0o200000,
  NOFOLLOW: ARM ? 0o100000 : 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

export interface FileStat {
  /** st_mode: type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  /** The file's identity: device ("major:minor") and inode number (its high and low words, "hi:lo"), as Landlock tells files apart. */
  dev: string;
  ino: string;
}

export const isRegular = (st: FileStat) => (st.mode & S_IFMT) === S_IFREG;
export const isDirectory = (st: FileStat) => (st.mode & S_IFMT) === S_IFDIR;

/** Little-endian fields of struct statx, byte by byte (no DataView on the start path). */
const le16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const le32 = (b: Uint8Array, at: number) => (le16(b, at) | (le16(b, at + 2) << 16)) >>> 0;

function statx(dirfd: number, path: ByteString, flags: number, call: () => string): SysResult<FileStat> {
  const buf = new Uint8Array(256);
  const r = Number(libc.syscall(SYS.statx, dirfd, ptr(cstr(path)), flags, STATX_BASIC_STATS, ptr(buf)));
  if (r < 0) return fail(errno(), call());
  // stx_size from its two words: the number Number(getBigUint64) would give, without a BigInt;
  // the file's identity (st_dev, st_ino) as text, exact, for comparing two opens of one file.
  const size = le32(buf, 44) * 2 ** 32 + le32(buf, 40);
  return ok({ mode: le16(buf, 28), uid: le32(buf, 20), gid: le32(buf, 24), nlink: le32(buf, 16), size, dev: `${le32(buf, 136)}:${le32(buf, 140)}`, ino: `${le32(buf, 36)}:${le32(buf, 32)}` });
}

/** stat(2): follows symlinks. */
export const stat = (path: ByteString) => statx(AT_FDCWD, path, 0, () => `stat(${quote(path)})`);
/** lstat(2): a final symlink is described, not followed. */
export const lstat = (path: ByteString) => statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, () => `lstat(${quote(path)})`);
export const fstat = (fd: number) => statx(fd, "", AT_EMPTY_PATH, () => `fstat(fd ${fd})`);

/** access(2) with the real ids (equal to the effective ones once sbx has switched). */
export function access(path: ByteString, mode: number): SysResult {
  return libc.access(cstr(path), mode) < 0 ? fail(errno(), `access(${quote(path)})`) : ok(0);
}
export const X_OK = 1;

export function openAt(dirfd: number, path: ByteString, flags: number, mode = 0): SysResult<number> {
  const fd = libc.openat(dirfd, cstr(path), flags | O.CLOEXEC, mode);
  return fd < 0 ? fail(errno(), `open(${quote(path)})`) : ok(fd);
}

export function close(fd: number): void {
  libc.close(fd);
}

export function ftruncate(fd: number): SysResult {
  return libc.ftruncate(fd, 0) < 0 ? fail(errno(), `ftruncate(fd ${fd})`) : ok(0);
}

/** Read fd to its end; more than `max` bytes is `{ tooLarge: true }`, never a truncated answer. */
export function readAll(fd: number, max: number): SysResult<Uint8Array | { tooLarge: true }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(64 * 1024);
    const n = Number(libc.read(fd, chunk, chunk.length));
    if (n < 0) return fail(errno(), `read(fd ${fd})`);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) return ok({ tooLarge: true });
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return ok(out);
}

/** A small procfs/sysfs file as a byte string (opened without blocking; procfs files are generated on read). */
export function readSmallFile(path: ByteString, max = 1 << 20): SysResult<ByteString> {
  const fd = openAt(AT_FDCWD, path, O.RDONLY | O.NONBLOCK | O.NOCTTY);
  if (!fd.ok) return fd;
  const r = readAll(fd.value, max);
  close(fd.value);
  if (!r.ok) return r;
  return "tooLarge" in r.value ? fail(ERANGE, `read(${quote(path)})`) : ok(fromBytes(r.value));
}

/** readlink(2) of `path` (e.g. /proc/self/fd/N). */
export function readlink(path: ByteString): SysResult<ByteString> {
  const buf = new Uint8Array(4096);
  const n = Number(libc.readlink(cstr(path), buf, buf.length));
  if (n < 0) return fail(errno(), `readlink(${quote(path)})`);
  return ok(fromBytes(buf.subarray(0, n)));
}

/** ioctl(fd, request, 0), for a probe whose only interest is the errno (TCGETS on /dev/null: ENOTTY). */
export function ioctlErrno(fd: number, request: number): SysResult {
  const r = Number(libc.syscall(SYS.ioctl, fd, request, 0, 0, 0));
  return r < 0 ? fail(errno(), `ioctl(fd ${fd}, 0x${request.toString(16)})`) : ok(0);
}
