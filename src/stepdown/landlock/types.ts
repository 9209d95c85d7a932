// Landlock (--landlock-access, --landlock-rule) as planning and the runner see it. Light on purpose:
// the runner loads it at every start.
import type { RightName } from "../../landlock/access.ts";
import type { Errno } from "../../sys/errno.ts";
import type { ByteString } from "../../text/bytes.ts";

/** A file's identity as Landlock tells files apart: "major:minor/inode". */
export type FileId = string;

/** A rule's path, opened as root before any change (O_PATH, a final symlink not followed). */
export interface OpenedRule {
  /** As given (`path-beneath:…:PATH`), for messages and the report. */
  text: string;
  path: ByteString;
  /** null: every handled right, tailored to the file's type. */
  access: bigint | null;
  fd: number;
  directory: boolean;
  id: FileId;
}

/** What prepare found: the kernel's ABI (or why none), the opened rules, and the files probes and the command walk through. */
export interface LandlockFacts {
  abi: number | null;
  abiErrno: Errno | null;
  rules: OpenedRule[];
  /** The identities from / down to each probe target; null when the target does not exist. */
  chains: Record<ProbeTarget, FileId[] | null>;
  /** The command as execve will open it (symlinks resolved), with its chain; null when not known before the switch. */
  command: { path: ByteString; chain: FileId[] } | null;
}

export type ProbeTarget = "/dev" | "/dev/null";

/**
 * One side-effect-free access, made as the target user right before restrict_self and again right
 * after it: opening a directory or /dev/null for reading or writing (nothing is read or written),
 * or ioctl(TCGETS) on /dev/null (ENOTTY, or EACCES when ioctl-dev is denied).
 */
export interface AccessProbe {
  right: RightName;
  target: ProbeTarget;
  how: "open-dir" | "open-read" | "open-write" | "ioctl-read" | "ioctl-write";
  /** What the ruleset must answer once in force. */
  expect: "allowed" | "denied";
}

export interface PlannedRule {
  text: string;
  /** The path as text, for messages. */
  path: string;
  fd: number;
  access: bigint;
}
