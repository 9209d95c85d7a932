// Expected texts below were recorded from Debian's gosu 1.14-1+b10 ("1.14 (go1.19.8 on
// linux/amd64; gc)") run as root; see src/gosu/texts.ts.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { IdentityError } from "../../src/identity/errors.ts";
import { classifyGosuArgs } from "../../src/gosu/args.ts";
import { goErrnoText, goQuote } from "../../src/gosu/goFormat.ts";
import { gosuExecError, gosuLookupError, gosuSpecError, gosuSwitchError, gosuUsage, gosuVersionLine } from "../../src/gosu/texts.ts";
import { type FileProbe, lookPath } from "../../src/identity/lookPath.ts";
import { readUserDb } from "../../src/identity/userdb.ts";
import { GOSU_RULES, resolveUser } from "../../src/identity/resolve.ts";
import { parseUserSpec } from "../../src/identity/spec.ts";
import { EACCES, ENOENT, ENOEXEC, ENOTDIR, EPERM, Errno } from "../../src/sys/errno.ts";
import { fromText } from "../../src/text/bytes.ts";

const DB = readUserDb(join(import.meta.dir, "../fixtures/user/alpine"));

function specError(spec: string): IdentityError {
  try {
    resolveUser(parseUserSpec(spec), DB, { currentGroups: [], rules: GOSU_RULES, callerGid: 0 });
  } catch (e) {
    if (e instanceof IdentityError) return e;
    throw e;
  }
  throw new Error(`${JSON.stringify(spec)} resolved`);
}

describe("gosu's argument rules", () => {
  test.each([
    [[], { kind: "usage-error" }],
    [["nobody"], { kind: "usage-error" }],
    [["--help"], { kind: "help" }],
    [["-h", "x", "y"], { kind: "help" }],
    [["-?"], { kind: "help" }],
    [["--version"], { kind: "version" }],
    [["-v", "nobody", "id"], { kind: "version" }],
    [["nobody", "id", "-u"], { kind: "run", spec: "nobody", argv: ["id", "-u"] }],
    [["nobody", "--help"], { kind: "run", spec: "nobody", argv: ["--help"] }],
    [["--user", "nobody", "true"], { kind: "run", spec: "--user", argv: ["nobody", "true"] }],
    [["", "true"], { kind: "run", spec: "", argv: ["true"] }],
  ])("%p", (args, call) => {
    expect(classifyGosuArgs(args)).toEqual(call as never);
  });
});

describe("usage and version", () => {
  test("usage is byte for byte gosu's, with the invoked name and a blank last line", () => {
    expect(gosuUsage("gosu", "1.14 (go1.19.8 on linux/amd64; gc)")).toBe(
      [
        "Usage: gosu user-spec command [args]",
        "   eg: gosu tianon bash",
        "       gosu nobody:root bash -c 'whoami && id'",
        "       gosu 1000:1 id",
        "",
        "gosu version: 1.14 (go1.19.8 on linux/amd64; gc)",
        "gosu license: Apache-2.0 (full text at https://github.com/tianon/gosu)",
        "",
        "",
      ].join("\n"),
    );
  });

  test("version line keeps gosu's shape, first word the gosu version", () => {
    expect(gosuVersionLine("0.1.0", "x64")).toBe("1.14 (sbx 0.1.0 on linux/amd64; bun)");
    expect(gosuVersionLine("0.1.0", "arm64")).toBe("1.14 (sbx 0.1.0 on linux/arm64; bun)");
  });
});

describe("spec errors: gosu's words where gosu also fails", () => {
  test.each([
    ["bogus", `error: failed switching to "bogus": unable to find user bogus: no matching entries in passwd file`],
    ["0day", `error: failed switching to "0day": unable to find user 0day: no matching entries in passwd file`],
    ["0:bogus", `error: failed switching to "0:bogus": unable to find group bogus: no matching entries in group file`],
    ["0:0day", `error: failed switching to "0:0day": unable to find group 0day: no matching entries in group file`],
    ["-1", `error: failed switching to "-1": uids and gids must be in range 0-2147483647`],
    ["4294967295", `error: failed switching to "4294967295": uids and gids must be in range 0-2147483647`],
    ["65536:-1", `error: failed switching to "65536:-1": uids and gids must be in range 0-2147483647`],
    [" 0", `error: failed switching to " 0": unable to find user  0: no matching entries in passwd file`],
    ["0x0", `error: failed switching to "0x0": unable to find user 0x0: no matching entries in passwd file`],
    ['a"b\\c', `error: failed switching to "a\\"b\\\\c": unable to find user a"b\\c: no matching entries in passwd file`],
    [fromText("é"), `error: failed switching to "é": unable to find user é: no matching entries in passwd file`],
    ["caf\xe9", `error: failed switching to "caf\\xe9": unable to find user caf\\xe9: no matching entries in passwd file`],
  ])("%p", (spec, line) => {
    expect(gosuSpecError(spec, specError(spec))).toBe(line);
  });

  test("control characters in the name are escaped, so the message stays one line (gosu prints them raw)", () => {
    expect(gosuSpecError("root\n", specError("root\n"))).toBe(
      `error: failed switching to "root\\n": unable to find user root\\n: no matching entries in passwd file`,
    );
  });

  test.each([
    ["", `error: failed switching to "": the user part is empty (gosu would keep the current user, usually root); name a user or uid`],
    [":0", `error: failed switching to ":0": the user part is empty (gosu would keep the current user, usually root); name a user or uid`],
    ["+0", `error: failed switching to "+0": user id "+0" must be written plainly (no sign, no leading zeros)`],
    ["0:0:0", `error: failed switching to "0:0:0": more than one ':' (expected USER[:GROUP])`],
    ["99999999999999999999", `error: failed switching to "99999999999999999999": uids and gids must be in range 0-2147483647`],
  ])("sbx-only refusal %p keeps gosu's frame", (spec, line) => {
    expect(gosuSpecError(spec, specError(spec))).toBe(line);
  });

  test("a failed setgroups/setgid/setuid (non-root caller)", () => {
    expect(gosuSwitchError("root", EPERM)).toBe(`error: failed switching to "root": operation not permitted`);
  });
});

describe("lookup and exec errors", () => {
  const FS: Record<string, FileProbe> = {
    "/etc/passwd": { kind: "not-executable" },
    "/tmp": { kind: "directory" },
    "/tmp/gx/noexec": { kind: "not-executable" },
    "./ok": { kind: "executable" },
  };
  const probe = (p: string): FileProbe => FS[p] ?? { kind: "unreachable", errno: ENOENT };
  test.each([
    ["nonexistentcmd", "/usr/bin", `error: exec: "nonexistentcmd": executable file not found in $PATH`],
    ["true", undefined, `error: exec: "true": executable file not found in $PATH`],
    ["", "/usr/bin", `error: exec: "": executable file not found in $PATH`],
    ["--help", "/usr/bin", `error: exec: "--help": executable file not found in $PATH`],
    ["/nonexistent", "/usr/bin", `error: exec: "/nonexistent": stat /nonexistent: no such file or directory`],
    ["/etc/passwd", "/usr/bin", `error: exec: "/etc/passwd": permission denied`],
    ["/tmp", "/usr/bin", `error: exec: "/tmp": permission denied`],
    ["noexec", "/tmp/gx:/usr/bin", `error: exec: "noexec": executable file not found in $PATH`],
    ["ok", ".:/usr/bin", `error: exec: "ok": cannot run executable found relative to current directory`],
    ["ok", ":/usr/bin", `error: exec: "ok": cannot run executable found relative to current directory`],
  ])("%p in PATH=%p", (command, path, line) => {
    const r = lookPath(command, path, probe);
    if (r.kind === "found") throw new Error("found");
    expect(gosuLookupError(r)).toBe(line);
  });

  test("execve failures", () => {
    expect(gosuExecError(ENOEXEC)).toBe("error: exec failed: exec format error");
    expect(gosuExecError(EACCES)).toBe("error: exec failed: permission denied");
  });
});

describe("Go's %q and errno texts", () => {
  test.each([
    ["bogus", `"bogus"`],
    ['a"b\\c', `"a\\"b\\\\c"`],
    ["\u001b[31m", `"\\x1b[31m"`],
    ["é", `"é"`],
    ["\u00a0x", `"\\u00a0x"`],
    ["\u2028", `"\\u2028"`],
    ["\u007f", `"\\x7f"`],
    ["tab\there", `"tab\\there"`],
    ["😀", `"😀"`],
    ["\u{E0001}", `"\\U000e0001"`],
    ["\u0007\b\f\v\r", `"\\a\\b\\f\\v\\r"`],
  ])("goQuote(%p)", (text, quoted) => {
    expect(goQuote(fromText(text))).toBe(quoted);
  });

  test("bytes that are not UTF-8 are \\x escapes, as Go quotes a string's bytes", () => {
    expect(goQuote("\xff\xfe")).toBe(`"\\xff\\xfe"`);
    expect(goQuote("caf\xc3\xa9\xc3")).toBe(`"café\\xc3"`);
  });

  test("errno texts, and the name for one not in the table", () => {
    expect(goErrnoText(EPERM)).toBe("operation not permitted");
    expect(goErrnoText(ENOTDIR)).toBe("not a directory");
    expect(goErrnoText(Errno.of(200))).toBe("errno 200");
  });
});
