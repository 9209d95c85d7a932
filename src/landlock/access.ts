// Landlock's filesystem access rights as sbx knows them, setpriv's names and syntax for them, and
// which Landlock ABI brought each one. Pure: the kernel is asked elsewhere (sys/landlock.ts).
//   --landlock-access fs              every right in this table
//   --landlock-access fs:RIGHT,…      these rights (repeatable; the union is handled)
//   --landlock-rule path-beneath:RIGHT,…:PATH   allow these beneath PATH (empty list: every handled one)
// setpriv's net and scope accesses and net-port rules are not offered (refused, named).
import { type ByteString, toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

export class LandlockSpecError extends Error {}

/** [name, bit, the ABI that brought it, whether it applies to a file (the others only to a directory's content)]. */
const RIGHTS = [
  ["execute", 0, 1, true],
  ["write-file", 1, 1, true],
  ["read-file", 2, 1, true],
  ["read-dir", 3, 1, false],
  ["remove-dir", 4, 1, false],
  ["remove-file", 5, 1, false],
  ["make-char", 6, 1, false],
  ["make-dir", 7, 1, false],
  ["make-reg", 8, 1, false],
  ["make-sock", 9, 1, false],
  ["make-fifo", 10, 1, false],
  ["make-block", 11, 1, false],
  ["make-sym", 12, 1, false],
  ["refer", 13, 2, false],
  ["truncate", 14, 3, true],
  ["ioctl-dev", 15, 5, true],
] as const;

export type RightName = (typeof RIGHTS)[number][0];

const bit = (n: number) => 1n << BigInt(n);
export const RIGHT = Object.fromEntries(RIGHTS.map(([name, b]) => [name, bit(b)])) as Record<RightName, bigint>;

/** Every right sbx knows: `--landlock-access fs`. */
export const ALL_FS = RIGHTS.reduce((m, [, b]) => m | bit(b), 0n);
/** The rights a rule on a non-directory may carry (the kernel refuses the others with EINVAL). */
export const FILE_RIGHTS = RIGHTS.reduce((m, [, b, , file]) => (file ? m | bit(b) : m), 0n);

/** The filesystem rights a kernel of Landlock ABI `abi` handles (0: no Landlock). */
export function rightsOfAbi(abi: number): bigint {
  return RIGHTS.reduce((m, [, b, since]) => (abi >= since ? m | bit(b) : m), 0n);
}

/** The ABI a right needs. */
export const abiOf = (name: RightName) => RIGHTS.find((r) => r[0] === name)![2];

/** Names of the rights in a mask, in the table's order. */
export function rightNames(m: bigint): RightName[] {
  return RIGHTS.filter(([, b]) => (m & bit(b)) !== 0n).map(([n]) => n);
}

export const rightList = (m: bigint) => rightNames(m).join(",") || "none";

const NAMES = RIGHTS.map(([n]) => n).join(", ");

function rightsOf(list: string, shown: string): bigint {
  let m = 0n;
  for (const raw of list.split(",")) {
    const name = raw.trim().toLowerCase();
    const r = RIGHTS.find(([n]) => n === name);
    if (!r) throw new LandlockSpecError(`${shown}: unknown Landlock filesystem right ${quote(raw.trim())} (valid: ${NAMES})`);
    m |= bit(r[1]);
  }
  return m;
}

const unsupported = (shown: string, what: string) =>
  new LandlockSpecError(`${shown}: ${what} is setpriv syntax sbx does not offer; sbx handles filesystem rights only (fs, fs:RIGHT,…, path-beneath rules)`);

/** `fs`, `fs:`, `fs:read-file,write-file` → the rights to handle. */
export function parseLandlockAccess(text: ByteString, shown: string): bigint {
  const t = toText(text).trim();
  if (t === "fs" || t === "fs:") return ALL_FS;
  if (t.startsWith("fs:")) return rightsOf(t.slice(3), shown);
  if (/^(net|scope)(:|$)/.test(t)) throw unsupported(shown, `${quote(t)} (network and scope restrictions)`);
  throw new LandlockSpecError(`${shown}: ${quote(t)} is not a Landlock access (fs, or fs:RIGHT,… with rights from: ${NAMES})`);
}

export interface LandlockAccess {
  /** As given, for the report's `asked`. */
  text: string;
  rights: bigint;
}

/** `fs`, `fs:`, `fs:read-file,write-file`, with the rights they name. */
export const landlockAccess = (text: ByteString, shown: string): LandlockAccess => ({ text: toText(text), rights: parseLandlockAccess(text, shown) });

export interface LandlockRule {
  text: string;
  /** null: every handled right (tailored to the file's type). */
  access: bigint | null;
  path: ByteString;
}

/** `path-beneath:RIGHTS:PATH` (RIGHTS may be empty; PATH is everything after the second colon). */
export function parseLandlockRule(text: ByteString, shown: string): LandlockRule {
  if (text.startsWith("net-port:")) throw unsupported(shown, "a net-port rule");
  if (!text.startsWith("path-beneath:")) throw new LandlockSpecError(`${shown}: ${quote(text)} is not a Landlock rule (path-beneath:RIGHT,…:PATH)`);
  const rest = text.slice("path-beneath:".length);
  const colon = rest.indexOf(":");
  if (colon < 0) throw new LandlockSpecError(`${shown}: ${quote(text)} needs path-beneath:RIGHT,…:PATH (the rights may be empty: path-beneath::PATH)`);
  const path = rest.slice(colon + 1);
  if (path === "") throw new LandlockSpecError(`${shown}: ${quote(text)} has no path`);
  const list = rest.slice(0, colon);
  return { text: toText(text), access: list.trim() === "" ? null : rightsOf(list, shown), path };
}
