// Resource limits as OCI and `docker run --ulimit` name them, and the umask, parsed. Pure.
//   --rlimit NAME=SOFT[:HARD]   NAME: RLIMIT_NOFILE or nofile (any case); SOFT, HARD: a number or
//                               "unlimited"; one value sets both (docker's rule)
//   --umask OCTAL               0 to 0777, OCI process.user.umask
import { type ByteString, toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

export class LimitSpecError extends Error {}

/** RLIM_INFINITY. */
export const UNLIMITED = 0xffffffffffffffffn;

/** Short names in resource-number order (the same numbers on x86_64 and aarch64). */
export const RLIMIT_NAMES = [
  "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
] as const;

export type RlimitName = (typeof RLIMIT_NAMES)[number];

export interface RlimitRequest {
  /** As given, for the report's `asked`. */
  text: string;
  name: RlimitName;
  resource: number;
  soft: bigint;
  hard: bigint;
}

/** "RLIMIT_NOFILE": OCI's name, used in reports. */
export const ociName = (name: RlimitName) => `RLIMIT_${name.toUpperCase()}`;

/** A limit for messages: "unlimited" or the number. */
export const limitText = (v: bigint) => (v === UNLIMITED ? "unlimited" : String(v));

function value(text: string, shown: string, whole: string): bigint {
  if (text === "unlimited") return UNLIMITED;
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= UNLIMITED) {
    throw new LimitSpecError(`${shown} ${quote(whole)}: ${quote(text)} is not a limit (a number below 2^64-1, or unlimited)`);
  }
  return BigInt(text);
}

/** A resource's number from `nofile`, `NOFILE` or `RLIMIT_NOFILE`. */
export function rlimitOf(raw: string): RlimitName | undefined {
  const n = raw.trim().toLowerCase().replace(/^rlimit_/, "");
  return (RLIMIT_NAMES as readonly string[]).includes(n) ? (n as RlimitName) : undefined;
}

export function parseRlimit(text: ByteString, shown: string): RlimitRequest {
  const t = toText(text);
  const eq = t.indexOf("=");
  if (eq < 0) throw new LimitSpecError(`${shown} needs NAME=SOFT[:HARD], not ${quote(t)}`);
  const name = rlimitOf(t.slice(0, eq));
  if (name === undefined) throw new LimitSpecError(`${shown}: unknown resource ${quote(t.slice(0, eq))} (valid: ${RLIMIT_NAMES.join(", ")}, or RLIMIT_NOFILE…)`);
  const [softText, hardText, ...more] = t.slice(eq + 1).split(":");
  if (more.length) throw new LimitSpecError(`${shown} ${quote(t)}: give SOFT or SOFT:HARD`);
  const soft = value(softText!, shown, t);
  const hard = hardText === undefined ? soft : value(hardText, shown, t);
  if (soft > hard) throw new LimitSpecError(`${shown} ${quote(t)}: the soft limit ${limitText(soft)} is above the hard limit ${limitText(hard)}`);
  return { text: t, name, resource: RLIMIT_NAMES.indexOf(name), soft, hard };
}

export function parseUmask(text: ByteString, shown: string): number {
  const t = toText(text);
  if (!/^[0-7]{1,4}$/.test(t) || parseInt(t, 8) > 0o777) throw new LimitSpecError(`${shown} needs an octal mask from 0 to 0777 (e.g. 0022), not ${quote(t)}`);
  return parseInt(t, 8);
}

export const umaskText = (m: number) => `0${m.toString(8).padStart(3, "0")}`;
