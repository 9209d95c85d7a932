// Opening a file sbx writes (the exec report, a compiled seccomp program) as root, often in a
// directory the workload owns and could have prepared. The path is walked one component at a
// time without following any symbolic link; the file is created fresh (mode 0600), or, if it
// exists, accepted only as a regular file with a single link owned by sbx's own uid, then
// truncated. Nothing blocks: a FIFO is refused, not waited on.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { EEXIST, ELOOP, ENOTDIR, ENXIO } from "./errno.ts";
import { AT_FDCWD, close, fstat, ftruncate, isRegular, O, openAt, S_IFLNK, S_IFMT } from "./file.ts";
import { libc } from "./libc.ts";
import { describe } from "./result.ts";

export type OutputOpen = { ok: true; fd: number } | { ok: false; reason: string };

const refuse = (reason: string): OutputOpen => ({ ok: false, reason });

const NO_BLOCK = O.NONBLOCK | O.NOCTTY | O.NOFOLLOW;

function isLink(dirfd: number, name: ByteString): boolean {
  const fd = openAt(dirfd, name, O.PATH | O.NOFOLLOW);
  if (!fd.ok) return false;
  const st = fstat(fd.value);
  close(fd.value);
  return st.ok && (st.value.mode & S_IFMT) === S_IFLNK;
}

/** Open `path` for writing under the rules above; `owner` is the uid an existing file must have. */
export function openOutputFile(path: ByteString, owner: number): OutputOpen {
  const parts = path.split("/");
  const last = parts.pop()!;
  if (last === "" || last === "." || last === "..") return refuse(`${quote(path)} names a directory, not a file`);
  let dir = AT_FDCWD;
  const release = () => dir !== AT_FDCWD && close(dir);
  if (path.startsWith("/")) {
    const root = openAt(AT_FDCWD, "/", O.PATH | O.DIRECTORY);
    if (!root.ok) return refuse(describe(root));
    dir = root.value;
  }
  let walked = path.startsWith("/") ? "" : ".";
  for (const part of parts) {
    if (part === "") continue;
    walked += `/${part}`;
    const next = openAt(dir, part, O.PATH | O.DIRECTORY | O.NOFOLLOW);
    if (!next.ok) {
      const link = (next.errno === ENOTDIR || next.errno === ELOOP) && isLink(dir, part);
      release();
      return refuse(link ? `${quote(walked)} is a symbolic link; sbx writes no file through a link (give the real path)` : `${quote(walked)}: ${next.errno.name}`);
    }
    release();
    dir = next.value;
  }
  const fresh = openAt(dir, last, O.WRONLY | O.CREAT | O.EXCL | NO_BLOCK, 0o600);
  if (fresh.ok) {
    release();
    return { ok: true, fd: fresh.value };
  }
  if (fresh.errno !== EEXIST) {
    release();
    return refuse(`cannot create ${quote(path)}: ${fresh.errno.name}`);
  }
  const existing = openAt(dir, last, O.WRONLY | NO_BLOCK);
  const link = !existing.ok && existing.errno === ELOOP && isLink(dir, last);
  release();
  if (!existing.ok) {
    if (link) return refuse(`${quote(path)} is a symbolic link; sbx writes no file through a link`);
    if (existing.errno === ENXIO) return refuse(`${quote(path)} is a FIFO with no reader; sbx writes only regular files`);
    return refuse(`cannot open ${quote(path)}: ${existing.errno.name}`);
  }
  const fd = existing.value;
  const st = fstat(fd);
  const problem = !st.ok
    ? describe(st)
    : !isRegular(st.value)
      ? `${quote(path)} exists and is not a regular file`
      : st.value.uid !== owner
        ? `${quote(path)} exists and is owned by uid ${st.value.uid}, not ${owner}`
        : st.value.nlink !== 1
          ? `${quote(path)} exists with ${st.value.nlink} hard links`
          : null;
  if (problem === null) {
    const t = ftruncate(fd);
    if (t.ok) return { ok: true, fd };
    libc.close(fd);
    return refuse(describe(t));
  }
  libc.close(fd);
  return refuse(`${problem}; sbx replaces only a regular file with one link that it owns (or creates a new one)`);
}
