// What gosu prints, so that gosu mode prints the same: same stdout, same stderr shape, exit 1.
//
// Recorded from Debian's package gosu 1.14-1+b10 (`gosu --version` = "1.14 (go1.19.8 on
// linux/amd64; gc)") run as root, and from tianon/gosu tag 1.14 main.go (log.Fatalf with no
// prefix: each message is one "error: …" line on stderr, then exit 1; the usage names
// filepath.Base(os.Args[0])). Newer gosu (1.17+) quotes the spec as '…' instead of Go's %q; 1.14
// is what Debian ships and what we compare against.
//
// Messages observed (stderr, exit 1), as root, Debian's passwd:
//   gosu bogus true      error: failed switching to "bogus": unable to find user bogus: no matching entries in passwd file
//   gosu 0:bogus true    error: failed switching to "0:bogus": unable to find group bogus: no matching entries in group file
//   gosu -1 true         error: failed switching to "-1": uids and gids must be in range 0-2147483647
//   gosu root true       (as uid 65534) error: failed switching to "root": operation not permitted   (setgroups EPERM)
//   gosu nobody nosuch   error: exec: "nosuch": executable file not found in $PATH
//   gosu nobody /nosuch  error: exec: "/nosuch": stat /nosuch: no such file or directory
//   gosu nobody /etc/passwd   error: exec: "/etc/passwd": permission denied   (a directory too, in go1.19)
//   PATH=.:/usr/bin gosu root ok   error: exec: "ok": cannot run executable found relative to current directory
//   gosu nobody /tmp/garbage  error: exec failed: exec format error
// (Also in gosu 1.14: a missing /proc/self/exe fails first with "error: stat /proc/self/exe: no
// such file or directory".)
//
// Where gosu mode deliberately differs, docs/exec.md "gosu mode" keeps the one list.
import type { Errno } from "../sys/errno.ts";
import type { IdentityError } from "../identity/errors.ts";
import type { CommandLookup } from "../identity/lookPath.ts";
import type { ByteString } from "../text/bytes.ts";
import { goErrnoText, goQuote, printableText } from "./goFormat.ts";

/** The gosu release whose behaviour gosu mode reproduces. */
export const GOSU_COMPAT_VERSION = "1.14";

export const GOSU_EXIT_FAILURE = 1;

/**
 * "1.14 (sbx 0.1.0 on linux/amd64; bun)": gosu's "<version> (<go> on <os>/<arch>; <compiler>)"
 * shape, first word the gosu version we behave as (scripts cut it out), the rest naming sbx.
 */
export function gosuVersionLine(sbxVersion: string, nodeArch: string): string {
  const arch = nodeArch === "x64" ? "amd64" : nodeArch;
  return `${GOSU_COMPAT_VERSION} (sbx ${sbxVersion} on linux/${arch}; bun)`;
}

/** The usage text exactly as gosu writes it, including the blank last line; `self` is argv[0]'s basename. */
export function gosuUsage(self: string, versionLine: string): string {
  return (
    `Usage: ${self} user-spec command [args]\n` +
    `   eg: ${self} tianon bash\n` +
    `       ${self} nobody:root bash -c 'whoami && id'\n` +
    `       ${self} 1000:1 id\n` +
    `\n` +
    `${self} version: ${versionLine}\n` +
    `${self} license: Apache-2.0 (full text at https://github.com/tianon/gosu)\n` +
    `\n`
  );
}

/**
 * After gosu's own usage, on --help only (a usage error prints gosu's text alone): what sbx adds
 * in gosu mode, and the SBX_* variables that ask for more. Listed from the option table.
 */
export function gosuModeHelp(variables: readonly [name: string, help: string][]): string {
  const width = Math.max(...variables.map(([n]) => n.length));
  return (
    `sbx in gosu mode: as gosu, but inherited fds are closed at exec, ignored signals are reset,\n` +
    `the switch is verified, and an empty user part is refused. Optional, removed from the workload's environment:\n` +
    variables.map(([n, h]) => `  ${n.padEnd(width)}  ${h}\n`).join("") +
    `\n`
  );
}

/** `error: failed switching to "SPEC": REASON` for a spec that did not resolve. */
export function gosuSpecError(spec: ByteString, err: IdentityError): string {
  return switchFailed(spec, gosuReason(err));
}

/** `error: failed switching to "SPEC": operation not permitted` for a failed or refused setgroups/setgid/setuid. */
export function gosuSwitchError(spec: ByteString, errno: Errno): string {
  return switchFailed(spec, goErrnoText(errno));
}

/** The line gosu prints when the command cannot be found or used. */
export function gosuLookupError(r: Exclude<CommandLookup, { kind: "found" }>): string {
  const cause = (() => {
    switch (r.kind) {
      case "not-found":
        return "executable file not found in $PATH";
      case "not-executable":
        return r.viaPath ? "executable file not found in $PATH" : "permission denied";
      case "unreachable":
        return `stat ${printableText(r.command) ?? goQuote(r.command).slice(1, -1)}: ${goErrnoText(r.errno)}`;
      case "relative":
        return "cannot run executable found relative to current directory";
    }
  })();
  return `error: exec: ${goQuote(r.command)}: ${cause}`;
}

/** execve(2) itself failed: `error: exec failed: exec format error`. */
export function gosuExecError(errno: Errno): string {
  return `error: exec failed: ${goErrnoText(errno)}`;
}

function switchFailed(spec: ByteString, reason: string): string {
  return `error: failed switching to ${goQuote(spec)}: ${reason}`;
}

/** moby/sys/user's wording where gosu rejects the same input; sbx's reason where only sbx does. */
function gosuReason(err: IdentityError): string {
  // moby prints the name raw; escape it only when it would break the line or the terminal.
  const name = printableText(err.part) ?? goQuote(err.part).slice(1, -1);
  switch (err.problem) {
    case "unknown-user":
      return `unable to find user ${name}: no matching entries in passwd file`;
    case "unknown-group":
      return `unable to find group ${name}: no matching entries in group file`;
    case "out-of-range":
      return "uids and gids must be in range 0-2147483647";
    default:
      return err.reason;
  }
}
