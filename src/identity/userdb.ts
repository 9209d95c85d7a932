// Reading /etc/passwd and /etc/group: the effect half of passwd.ts.
import { fromBytes } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { ENOENT } from "../sys/errno.ts";
import { AT_FDCWD, close, fstat, isRegular, O, openAt, readAll } from "../sys/file.ts";
import { parseGroup, parsePasswd, type UserDb } from "./passwd.ts";

export class UserDbError extends Error {}

/** The bound moby/sys/user puts on these files; a larger one is refused, not truncated. */
export const MAX_DB_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Read `<root>/etc/passwd` and `<root>/etc/group`. A missing file counts as empty (numeric ids
 * still resolve, names do not), as in gosu. Anything else that prevents a complete read — not a
 * regular file (a FIFO would block, /dev/zero would never end), too large, unreadable — is an
 * error, because a partial user database could resolve a name differently.
 */
export function readUserDb(root = "/"): UserDb {
  const dir = root.endsWith("/") ? root : `${root}/`;
  return {
    passwd: parsePasswd(readDbFile(`${dir}etc/passwd`)),
    group: parseGroup(readDbFile(`${dir}etc/group`)),
  };
}

function readDbFile(path: string): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; non-regular files are refused below.
  const fd = openAt(AT_FDCWD, path, O.RDONLY | O.NONBLOCK | O.NOCTTY);
  if (!fd.ok) {
    if (fd.errno === ENOENT) return "";
    throw new UserDbError(`cannot open ${quote(path)}: ${fd.errno.name}`);
  }
  try {
    const st = fstat(fd.value);
    if (!st.ok) throw new UserDbError(`cannot read ${quote(path)}: ${st.errno.name}`);
    if (!isRegular(st.value)) throw new UserDbError(`cannot read ${quote(path)}: not a regular file`);
    const r = readAll(fd.value, MAX_DB_FILE_BYTES);
    if (!r.ok) throw new UserDbError(`cannot read ${quote(path)}: ${r.errno.name}`);
    if ("tooLarge" in r.value) throw new UserDbError(`cannot read ${quote(path)}: larger than ${MAX_DB_FILE_BYTES} bytes`);
    return fromBytes(r.value);
  } finally {
    close(fd.value);
  }
}
