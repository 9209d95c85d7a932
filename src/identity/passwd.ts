// /etc/passwd and /etc/group, parsed from the files' bytes. Never through NSS (getpwnam and
// friends): a privileged process must not load the libraries an image's nsswitch.conf names.
// Pure; userdb.ts reads the files.
//
// Line handling follows moby/sys/user (what gosu and runc use): each line is trimmed of
// surrounding white space, blank lines are skipped, the first matching entry wins whatever bytes
// it holds (names, homes and shells are bytes, not text), extra fields are ignored and missing
// trailing fields are empty. Where moby silently turns a bad number into 0 (an empty or
// non-numeric uid field would make that user root), the line is skipped instead. Also skipped:
// comment lines ("#") and NIS compat lines ("+…", "-…", which moby would read as a user named
// "+"), and ids outside 0..2^31-1.
import type { ByteString } from "../text/bytes.ts";
import { parseId } from "./id.ts";

export interface PasswdEntry {
  readonly name: ByteString;
  readonly uid: number;
  readonly gid: number;
  /** As written; may be empty. */
  readonly home: ByteString;
  /** As written; may be empty. */
  readonly shell: ByteString;
}

export interface GroupEntry {
  readonly name: ByteString;
  readonly gid: number;
  /** User names from the fourth field. */
  readonly members: readonly ByteString[];
}

/** The two files, in file order. */
export interface UserDb {
  readonly passwd: readonly PasswdEntry[];
  readonly group: readonly GroupEntry[];
}

/** passwd(5): name:password:uid:gid:gecos:home:shell */
export function parsePasswd(text: ByteString): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const fields of records(text)) {
    const [name = "", , uidText = "", gidText = "", , home = "", shell = ""] = fields;
    const uid = parseId(uidText);
    const gid = parseId(gidText);
    if (name === "" || uid === undefined || gid === undefined) continue;
    out.push({ name, uid, gid, home, shell });
  }
  return out;
}

/** group(5): name:password:gid:member,member,… */
export function parseGroup(text: ByteString): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const fields of records(text)) {
    const [name = "", , gidText = "", memberText = ""] = fields;
    const gid = parseId(gidText);
    if (name === "" || gid === undefined) continue;
    out.push({ name, gid, members: memberText.split(",").filter((m) => m !== "") });
  }
  return out;
}

// Go's unicode.IsSpace set as UTF-8 byte sequences (moby trims lines with strings.TrimSpace):
// ASCII \t \n \v \f \r and space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000. U+FEFF (a byte order mark) is not among them.
const SPACE = "(?:[\\t\\n\\v\\f\\r ]|\\xc2[\\x85\\xa0]|\\xe1\\x9a\\x80|\\xe2\\x80[\\x80-\\x8a\\xa8\\xa9\\xaf]|\\xe2\\x81\\x9f|\\xe3\\x80\\x80)";
const TRIM = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");

function* records(text: ByteString): Generator<ByteString[]> {
  for (const raw of text.split("\n")) {
    const line = raw.replace(TRIM, "");
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    yield line.split(":");
  }
}
