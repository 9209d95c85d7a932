// Byte strings: what the kernel hands sbx (argv, the environment, /etc/passwd, paths) are bytes,
// not text. sbx keeps them as JS strings with one character per byte (code 0-255, "latin1"), so
// every byte sequence survives unchanged, comparisons are byte comparisons, and ASCII separators
// (":", ",", "=", "/") split them as they would split the bytes. Only messages and JSON decode
// them as UTF-8.

/** A string whose characters are bytes (0-255). */
export type ByteString = string;

const CHUNK = 0x8000;

/** Bytes → one character per byte. */
export function fromBytes(bytes: Uint8Array): ByteString {
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return out;
}

/** One character per byte → bytes. A character above 255 (text, not bytes) is a bug in the caller. */
export function toBytes(s: ByteString, extra = 0): Uint8Array {
  const out = new Uint8Array(s.length + extra);
  // All ASCII (paths, names, most environments): UTF-8 is the same bytes, and encodeInto is native.
  const { read, written } = encoder.encodeInto(s, out);
  if (read === s.length && written === s.length) return out;
  out.fill(0, s.length); // what encodeInto wrote past the string (the NUL of cBytes)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`not a byte string: character ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

/** NUL-terminated bytes for a char* argument. */
export const cBytes = (s: ByteString): Uint8Array => toBytes(s, 1);

const encoder = new TextEncoder();
// Made at their first use: most starts decode nothing as UTF-8.
let utf8: TextDecoder | undefined;
let utf8Strict: TextDecoder | undefined;

/** Text (UTF-16 JS string, e.g. a message or a constant) → its UTF-8 bytes as a byte string. */
export const fromText = (text: string): ByteString => fromBytes(encoder.encode(text));

/** UTF-8 text of a byte string, invalid sequences as U+FFFD (for JSON documents and humans). */
export const toText = (s: ByteString): string => (utf8 ??= new TextDecoder("utf-8")).decode(toBytes(s));

/** The text when the bytes are valid UTF-8, else undefined. */
export function asUtf8(s: ByteString): string | undefined {
  try {
    return (utf8Strict ??= new TextDecoder("utf-8", { fatal: true })).decode(toBytes(s));
  } catch {
    return undefined;
  }
}

/** Split a NUL-separated block (/proc/self/cmdline, /proc/self/environ) into byte strings. */
export function splitNul(bytes: Uint8Array): ByteString[] {
  const s = fromBytes(bytes);
  if (s === "") return [];
  const parts = s.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}
