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
    const name = fields[0] ?? "";
    const uidText = fields[2] ?? "";
    const gidText = fields[3] ?? "";
    const home = fields[5] ?? "";
    const shell = fields[6] ?? "";
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
    const name = fields[0] ?? "";
    const gidText = fields[2] ?? "";
    const memberText = fields[3] ?? "";
    const gid = parseId(gidText);
    if (name === "" || gid === undefined) continue;
    const members: ByteString[] = [];
    for (const m of memberText.split(",")) if (m !== "") members.push(m);
    out.push({ name, gid, members });
  }
  return out;
}

// Go's unicode.IsSpace set as UTF-8 byte sequences (moby trims lines with strings.TrimSpace):
// ASCII \t \n \v \f \r and space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000. U+FEFF (a byte order mark) is not among them. No sequence is a prefix or a suffix
// of another, so reading them greedily from either end finds what a regular expression would.

/** Bytes of the space sequence starting at `i`, or 0. */
function spaceAt(s: ByteString, i: number): number {
  const b = s.charCodeAt(i);
  if (b === 32 || (b >= 9 && b <= 13)) return 1;
  const b1 = s.charCodeAt(i + 1);
  if (b === 0xc2) return b1 === 0x85 || b1 === 0xa0 ? 2 : 0;
  const b2 = s.charCodeAt(i + 2);
  if (b === 0xe1) return b1 === 0x9a && b2 === 0x80 ? 3 : 0;
  if (b === 0xe2 && b1 === 0x80) return (b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf ? 3 : 0;
  if (b === 0xe2) return b1 === 0x81 && b2 === 0x9f ? 3 : 0;
  if (b === 0xe3) return b1 === 0x80 && b2 === 0x80 ? 3 : 0;
  return 0;
}

/** Bytes of the space sequence ending right before `end`, or 0. */
function spaceBefore(s: ByteString, end: number): number {
  for (const n of [1, 2, 3]) if (end - n >= 0 && spaceAt(s, end - n) === n) return n;
  return 0;
}

/** strings.TrimSpace on the bytes. */
function trimSpace(line: ByteString): ByteString {
  let start = 0;
  let end = line.length;
  for (let n = spaceAt(line, start); n > 0 && start < end; n = spaceAt(line, start)) start += n;
  for (let n = spaceBefore(line, end); n > 0 && end - n >= start; n = spaceBefore(line, end)) end -= n;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

/** The lines that are entries, each split into its fields. */
function records(text: ByteString): ByteString[][] {
  const out: ByteString[][] = [];
  for (const raw of text.split("\n")) {
    const line = trimSpace(raw);
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    out.push(line.split(":"));
  }
  return out;
}
