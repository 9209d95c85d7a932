// What gosu prints, so that gosu mode prints the same: same stdout, same stderr shape, exit 1.
//
// Recorded from Debian's package gosu 1.14-1+b10 (`gosu --version` = "1.14 (go1.19.8 on
// linux/amd64; gc)") run as root, and from tianon/gosu tag 1.14 main.go (log.Fatalf with no
// prefix: each message is one "error: …" line on stderr, then exit 1). Newer gosu (1.17+) quotes
// the spec as '…' instead of Go's %q; 1.14 is what Debian ships and what we compare against.
//
// Arguments (tianon/gosu main.go): only argv[1] is ever an option.
//   gosu --help | -h | -?  [anything]  → usage on stdout, exit 0
//   gosu --version | -v    [anything]  → "<version line>\n" on stdout, exit 0
//   gosu | gosu SPEC                   → usage on stderr, exit 1
//   gosu SPEC CMD [ARGS…]              → run; "gosu --user x true" looks up a user named "--user",
//                                         "gosu nobody --help" runs a program named "--help".
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
// Where gosu mode deliberately differs (see spec.ts, resolve.ts): "", ":0", "+0", "00", "0:0:0"
// and names over 255 bytes are refused with sbx's reason after "failed switching to …: ", an
// overflowing number is a range error (as in newer gosu), a uid without passwd entry gets gid = uid
// (gosu: the caller's gid), names in moby's reasons have control characters escaped (gosu prints
// them raw, so "root\n" gives two lines there), and the PATH lookup's not-executable cases follow
// the probe (see lookPath.ts).
import type { IdentityError } from "./errors.ts";
import type { CommandLookup } from "./lookPath.ts";

/** The gosu release whose behaviour gosu mode reproduces. */
export const GOSU_COMPAT_VERSION = "1.14";

export const GOSU_EXIT_FAILURE = 1;

export type GosuCall =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "usage-error" }
  | { readonly kind: "run"; readonly spec: string; readonly argv: readonly string[] };

/** `args` = argv without argv[0]. */
export function classifyGosuArgs(args: readonly string[]): GosuCall {
  const [first, ...rest] = args;
  if (first === "--help" || first === "-h" || first === "-?") return { kind: "help" };
  if (first === "--version" || first === "-v") return { kind: "version" };
  if (first === undefined || rest.length === 0) return { kind: "usage-error" };
  return { kind: "run", spec: first, argv: rest };
}

/**
 * "1.14 (sbx 0.1.0 on linux/amd64; bun)": gosu's "<version> (<go> on <os>/<arch>; <compiler>)"
 * shape, first word the gosu version we behave as (scripts cut it out), the rest naming sbx.
 */
export function gosuVersionLine(sbxVersion: string, nodeArch: string): string {
  const arch = nodeArch === "x64" ? "amd64" : nodeArch;
  return `${GOSU_COMPAT_VERSION} (sbx ${sbxVersion} on linux/${arch}; bun)`;
}

/**
 * The usage text exactly as gosu writes it (stdout for --help, stderr on a usage error), including
 * the blank last line. `self` is argv[0] as invoked ("gosu", "/usr/local/bin/gosu").
 */
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

/** `error: failed switching to "SPEC": REASON` for a spec that did not resolve. */
export function gosuSpecError(spec: string, err: IdentityError): string {
  return switchFailed(spec, gosuReason(err));
}

/** `error: failed switching to "SPEC": operation not permitted` for a failed setgroups/setgid/setuid. */
export function gosuSwitchSyscallError(spec: string, errno: string): string {
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
        return `stat ${r.command}: ${goErrnoText(r.errno)}`;
      case "relative":
        return "cannot run executable found relative to current directory";
    }
  })();
  return `error: exec: ${goQuote(r.command)}: ${cause}`;
}

/** execve(2) itself failed: `error: exec failed: exec format error`. */
export function gosuExecError(errno: string): string {
  return `error: exec failed: ${goErrnoText(errno)}`;
}

/** gosu 1.14's refusal to run setuid (it does not check setgid; newer gosu does, in these words). */
export function gosuSetidError(self: string, bit: "setuid" | "setgid"): string {
  return bit === "setuid"
    ? `error: ${goQuote(self)} appears to be installed with the 'setuid' bit set, which is an *extremely* insecure and completely unsupported configuration! (what you want instead is likely 'sudo' or 'su')`
    : `error: ${goQuote(self)} appears to be installed with the 'setgid' bit set, which is not quite *as* insecure as 'setuid', but still not great, and definitely a completely unsupported configuration! (what you want instead is likely 'sudo' or 'su')`;
}

function switchFailed(spec: string, reason: string): string {
  return `error: failed switching to ${goQuote(spec)}: ${reason}`;
}

/** moby/sys/user's wording where gosu rejects the same input; sbx's reason where only sbx does. */
function gosuReason(err: IdentityError): string {
  // moby prints the name raw; escape it only when it would break the line or the terminal.
  const name = PRINTABLE.test(err.part) ? err.part : goQuote(err.part).slice(1, -1);
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

/** Go's strconv.Quote (what %q prints): printable characters as is, others escaped. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (GO_NAMED_ESCAPES[ch] !== undefined) out += GO_NAMED_ESCAPES[ch];
    else if (cp < 0x80) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

const GO_NAMED_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Go's syscall.Errno texts (zerrors_linux.go) for the errnos setgroups/setgid/setuid/stat/execve give. */
const GO_ERRNO_TEXT: Record<string, string> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EIO: "input/output error",
  E2BIG: "argument list too long",
  ENOEXEC: "exec format error",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "cannot allocate memory",
  EACCES: "permission denied",
  EFAULT: "bad address",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EINVAL: "invalid argument",
  ENFILE: "too many open files in system",
  EMFILE: "too many open files",
  ETXTBSY: "text file busy",
  ENAMETOOLONG: "file name too long",
  ENOSYS: "function not implemented",
  ELOOP: "too many levels of symbolic links",
};

/** Go's text for an errno name; the name itself for one not in the table. */
export function goErrnoText(errno: string): string {
  return GO_ERRNO_TEXT[errno] ?? errno;
}
