// Every value sbx echoes in a message goes through quote(): one line, at most SHOWN_CHARS
// characters of the value, so a hostile or mistyped value can neither forge a second
// "sbx exec: …" line, nor drive the terminal (ANSI escapes, bidi overrides), nor flood the log.
import type { ByteString } from "./bytes.ts";

const SHOWN_CHARS = 80;

/** Characters that are shown escaped: C0/C1 controls, DEL, line/paragraph separators, bidi controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** Decode UTF-8 from a byte string, one entry per code point, or a raw byte where it is not UTF-8. */
export function* codePoints(s: ByteString): Generator<{ cp: number } | { byte: number }> {
  let i = 0;
  while (i < s.length) {
    const b0 = s.charCodeAt(i);
    const need = b0 < 0x80 ? 0 : b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : -1;
    if (need === 0) {
      yield { cp: b0 };
      i++;
      continue;
    }
    let cp = need === 1 ? b0 & 0x1f : need === 2 ? b0 & 0x0f : b0 & 0x07;
    let ok = need > 0 && i + need < s.length;
    for (let k = 1; ok && k <= need; k++) {
      const b = s.charCodeAt(i + k);
      if ((b & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (b & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    const min = [0, 0x80, 0x800, 0x10000][need] ?? 0;
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      yield { byte: b0 };
      i++;
      continue;
    }
    yield { cp };
    i += need + 1;
  }
}

/**
 * `"value"` for messages, from a byte string: valid UTF-8 shown as text, other bytes as \xNN,
 * `\` and `"` escaped, unsafe characters as \n, \t, \r or \uXXXX.
 */
export function quote(value: ByteString): string {
  if (plain(value)) return `"${value}"`;
  let out = "";
  let shown = 0;
  let total = 0;
  for (const c of codePoints(value)) {
    total++;
    if (shown >= SHOWN_CHARS) continue;
    shown++;
    if ("byte" in c) {
      out += `\\x${hex(c.byte, 2)}`;
      continue;
    }
    const ch = String.fromCodePoint(c.cp);
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (UNSAFE.test(ch)) out += `\\u${hex(c.cp, 4)}`;
    else out += ch;
  }
  return `"${out}${total > SHOWN_CHARS ? `…(${total} chars)` : ""}"`;
}

/**
 * Printable ASCII other than `"` and `\`, short enough to be shown whole: quote() leaves every
 * character as it is. The common case (paths, names), without decoding a character at a time.
 */
function plain(value: ByteString): boolean {
  if (value.length > SHOWN_CHARS) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** A list for messages, elided after `max` items with a count: [1,2,3,…(70000 in all)]. */
export function listText(items: readonly (string | number)[], max = 32): string {
  const shown = items.slice(0, max).join(",");
  return `[${shown}${items.length > max ? `,…(${items.length} in all)` : ""}]`;
}
