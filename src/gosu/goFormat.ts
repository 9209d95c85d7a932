// Go's formatting, as gosu's messages show it: strconv.Quote (what %q prints) and the texts of
// syscall.Errno. Go strings are bytes, so these take byte strings and print valid UTF-8 as text.
import { E2BIG, EACCES, EAGAIN, EFAULT, EINVAL, EIO, EISDIR, ELOOP, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOEXEC, ENOMEM, ENOSYS, ENOTDIR, EPERM, Errno, ETXTBSY } from "../sys/errno.ts";
import type { ByteString } from "../text/bytes.ts";
import { codePoints } from "../text/quote.ts";

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const NAMED_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** Go's strconv.Quote of the bytes `s`. */
export function goQuote(s: ByteString): string {
  let out = '"';
  for (const c of codePoints(s)) {
    if ("byte" in c) {
      out += `\\x${hex(c.byte, 2)}`;
      continue;
    }
    const ch = String.fromCodePoint(c.cp);
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (NAMED_ESCAPES[ch] !== undefined) out += NAMED_ESCAPES[ch];
    else if (c.cp < 0x80) out += `\\x${hex(c.cp, 2)}`;
    else if (c.cp < 0x10000) out += `\\u${hex(c.cp, 4)}`;
    else out += `\\U${hex(c.cp, 8)}`;
  }
  return `${out}"`;
}

/** The bytes as text when every character is valid, printable UTF-8 (harmless printed raw); else undefined. */
export function printableText(s: ByteString): string | undefined {
  let out = "";
  for (const c of codePoints(s)) {
    if ("byte" in c) return undefined;
    const ch = String.fromCodePoint(c.cp);
    if (!PRINTABLE.test(ch)) return undefined;
    out += ch;
  }
  return out;
}

/** Go's syscall.Errno texts (zerrors_linux.go) for the errnos setgroups/setgid/setuid/stat/execve give. */
const TEXT = new Map<Errno, string>([
  [EPERM, "operation not permitted"],
  [ENOENT, "no such file or directory"],
  [EIO, "input/output error"],
  [E2BIG, "argument list too long"],
  [ENOEXEC, "exec format error"],
  [EAGAIN, "resource temporarily unavailable"],
  [ENOMEM, "cannot allocate memory"],
  [EACCES, "permission denied"],
  [EFAULT, "bad address"],
  [ENOTDIR, "not a directory"],
  [EISDIR, "is a directory"],
  [EINVAL, "invalid argument"],
  [ENFILE, "too many open files in system"],
  [EMFILE, "too many open files"],
  [ETXTBSY, "text file busy"],
  [ENAMETOOLONG, "file name too long"],
  [ENOSYS, "function not implemented"],
  [ELOOP, "too many levels of symbolic links"],
]);

/** Go's text for an errno; its name for one not in the table. */
export function goErrnoText(e: Errno): string {
  return TEXT.get(e) ?? e.name;
}
