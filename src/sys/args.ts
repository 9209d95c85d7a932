// The command line and environment exactly as the kernel passed them: bytes, duplicates and all.
// The runtime's process.argv and process.env are decoded as UTF-8 (an invalid byte becomes
// U+FFFD) and deduplicated its own way; sbx must hand the workload what the caller gave.
import { type ByteString, fromText, splitNul } from "../text/bytes.ts";
import { AT_FDCWD, close, O, openAt, readAll } from "./file.ts";

const MAX = 256 << 20; // far above any ARG_MAX

function block(path: string): ByteString[] | null {
  const fd = openAt(AT_FDCWD, path, O.RDONLY);
  if (!fd.ok) return null;
  const r = readAll(fd.value, MAX);
  close(fd.value);
  return r.ok && !("tooLarge" in r.value) ? splitNul(r.value) : null;
}

/** argv, argv[0] included. The runtime needs procfs to start, so the fallback is only for safety. */
export function rawArgv(): ByteString[] {
  return block("/proc/self/cmdline") ?? [process.argv0, ...process.argv.slice(2)].map(fromText);
}

/** The environment block, "NAME=value" entries in order, duplicates included. */
export function rawEnviron(): ByteString[] {
  return block("/proc/self/environ") ?? Object.entries(process.env).map(([k, v]) => fromText(`${k}=${v ?? ""}`));
}
