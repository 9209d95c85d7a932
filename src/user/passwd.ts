// /etc/passwd and /etc/group, parsed from the files themselves. Never through NSS (getpwnam and
// friends): a privileged process must not load the libraries an image's nsswitch.conf names.
//
// Line handling follows moby/sys/user (what gosu and runc use): each line is trimmed of
// surrounding white space, blank lines are skipped, the first matching entry wins, extra fields
// are ignored and missing trailing fields are empty. Where moby silently turns a bad number into 0
// (an empty or non-numeric uid field would make that user root), the line is skipped instead.
// Also skipped: comment lines ("#"), NIS compat lines ("+…", "-…", which moby would read as a user
// named "+"), ids outside 0..2^31-1, and names, homes or shells that were not valid UTF-8 (after
// decoding they could collide with another name).
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { parseId } from "./id.ts";

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** As written; may be empty. */
  readonly home: string;
  /** As written; may be empty. */
  readonly shell: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  /** User names from the fourth field. */
  readonly members: readonly string[];
}

/** The two files, in file order. */
export interface UserDb {
  readonly passwd: readonly PasswdEntry[];
  readonly group: readonly GroupEntry[];
}

/** passwd(5): name:password:uid:gid:gecos:home:shell */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const fields of records(text)) {
    const [name = "", , uidText = "", gidText = "", , home = "", shell = ""] = fields;
    const uid = parseId(uidText);
    const gid = parseId(gidText);
    if (name === "" || uid === undefined || gid === undefined) continue;
    if (hasReplacementChar(name, home, shell)) continue;
    out.push({ name, uid, gid, home, shell });
  }
  return out;
}

/** group(5): name:password:gid:member,member,… */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const fields of records(text)) {
    const [name = "", , gidText = "", memberText = ""] = fields;
    const gid = parseId(gidText);
    if (name === "" || gid === undefined || hasReplacementChar(name)) continue;
    const members = memberText.split(",").filter((m) => m !== "" && !hasReplacementChar(m));
    out.push({ name, gid, members });
  }
  return out;
}

/** Go's unicode.IsSpace set, which moby trims with (JS's trim() would also strip U+FEFF). */
const SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const TRIM = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");

function* records(text: string): Generator<string[]> {
  for (const raw of text.split("\n")) {
    const line = raw.replace(TRIM, "");
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    yield line.split(":");
  }
}

function hasReplacementChar(...texts: string[]): boolean {
  return texts.some((t) => t.includes("\uFFFD"));
}

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
  return {
    passwd: parsePasswd(readDbFile(join(root, "etc/passwd"))),
    group: parseGroup(readDbFile(join(root, "etc/group"))),
  };
}

function readDbFile(path: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; we refuse non-regular files below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (errorCode(e) === "ENOENT") return "";
    throw new UserDbError(`cannot open ${path}: ${errorCode(e) ?? String(e)}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UserDbError(`cannot read ${path}: not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_DB_FILE_BYTES) {
        throw new UserDbError(`cannot read ${path}: larger than ${MAX_DB_FILE_BYTES} bytes`);
      }
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    if (e instanceof UserDbError) throw e;
    throw new UserDbError(`cannot read ${path}: ${errorCode(e) ?? String(e)}`);
  } finally {
    closeSync(fd);
  }
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
