// Finding the workload's program the way gosu does: Go's exec.LookPath (go1.19, as in Debian's
// gosu 1.14) over the workload's PATH, after the identity switch. Pure: the file system is asked
// through `probe`, so tests need none.
//
// A command containing "/" is used as is (relative to the working directory). Otherwise each PATH
// entry is tried in order; an empty entry means "."; PATH unset or empty finds nothing (no
// execvp-style default). A match in a relative entry ("", ".", "bin") is refused, as Go ≥ 1.19 does
// (ErrDot): an entrypoint must not run a program planted in its working directory.
// Non-executable files and directories in PATH are skipped; when nothing executable is found but a
// non-executable file was, the result says so (exit 126, like a shell) instead of "not found" (127).
import type { Errno } from "../sys/errno.ts";
import { ENOENT } from "../sys/errno.ts";
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

export type FileProbe =
  | { readonly kind: "executable" }
  | { readonly kind: "not-executable" }
  | { readonly kind: "directory" }
  /** stat(2) failed: ENOENT, ENOTDIR, EACCES, ELOOP… */
  | { readonly kind: "unreachable"; readonly errno: Errno };

/**
 * stat(2) the path (following symlinks). "executable" = not a directory and access(path, X_OK)
 * succeeds with the workload's ids, i.e. probe after setres[ug]id. (Go 1.19 only looks for any x
 * bit, so gosu "finds" a 0700 root-owned file and then fails in execve; the exit code is 1 either way.)
 */
export type Probe = (path: ByteString) => FileProbe;

export type CommandLookup =
  | { readonly kind: "found"; readonly path: ByteString }
  | { readonly kind: "not-found"; readonly command: ByteString; readonly searchPath: ByteString }
  | {
      readonly kind: "not-executable";
      readonly command: ByteString;
      readonly path: ByteString;
      readonly isDirectory: boolean;
      /** Found by searching PATH (gosu reports these as not found). */
      readonly viaPath: boolean;
    }
  /** A command with a "/" that stat(2) could not reach. */
  | { readonly kind: "unreachable"; readonly command: ByteString; readonly errno: Errno }
  /** Found only in a relative PATH entry; refused. */
  | { readonly kind: "relative"; readonly command: ByteString; readonly path: ByteString };

export function lookPath(command: ByteString, searchPath: ByteString | undefined, probe: Probe): CommandLookup {
  if (command.includes("/")) {
    const p = probe(command);
    if (p.kind === "executable") return { kind: "found", path: command };
    if (p.kind === "unreachable") return { kind: "unreachable", command, errno: p.errno };
    return { kind: "not-executable", command, path: command, isDirectory: p.kind === "directory", viaPath: false };
  }
  let notExecutable: string | undefined;
  if (command !== "") {
    for (const dir of pathEntries(searchPath ?? "")) {
      const path = dir.endsWith("/") ? dir + command : `${dir}/${command}`;
      const p = probe(path);
      if (p.kind === "executable") {
        return dir.startsWith("/") ? { kind: "found", path } : { kind: "relative", command, path };
      }
      if (p.kind === "not-executable") notExecutable ??= path;
    }
  }
  if (notExecutable !== undefined) {
    return { kind: "not-executable", command, path: notExecutable, isDirectory: false, viaPath: true };
  }
  return { kind: "not-found", command, searchPath: searchPath ?? "" };
}

function pathEntries(searchPath: ByteString): ByteString[] {
  if (searchPath === "") return [];
  return searchPath.split(":").map((dir) => (dir === "" ? "." : dir));
}

/** 127 when there is no such program, 126 when there is one that cannot be run (as shells do). */
export function lookupExitCode(r: Exclude<CommandLookup, { kind: "found" }>): 126 | 127 {
  if (r.kind === "not-found") return 127;
  if (r.kind === "unreachable" && r.errno === ENOENT) return 127;
  return 126;
}

/** One line for sbx's own messages. */
export function describeLookup(r: Exclude<CommandLookup, { kind: "found" }>): string {
  const q = quote;
  switch (r.kind) {
    case "not-found":
      return r.searchPath === ""
        ? `command ${q(r.command)} not found: PATH is empty or unset`
        : `command ${q(r.command)} not found in PATH ${q(r.searchPath)}`;
    case "not-executable":
      if (r.isDirectory) return `command ${q(r.command)} is a directory`;
      return r.viaPath
        ? `command ${q(r.command)} found as ${q(r.path)}, which the workload user may not execute`
        : `command ${q(r.command)} is not executable by the workload user`;
    case "unreachable":
      return `command ${q(r.command)}: stat: ${r.errno.name}`;
    case "relative":
      return `command ${q(r.command)} found only as ${q(r.path)} through a relative PATH entry; refusing it (give a path with a "/" or use absolute PATH entries)`;
  }
}
