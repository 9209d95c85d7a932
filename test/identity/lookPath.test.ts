import { describe, expect, test } from "bun:test";
import { type FileProbe, describeLookup, lookPath, lookupExitCode } from "../../src/identity/lookPath.ts";
import { ENOENT, ENOTDIR } from "../../src/sys/errno.ts";

// A pretend file system as seen by the workload user after the switch.
const FS: Record<string, FileProbe> = {
  "/usr/bin/id": { kind: "executable" },
  "/usr/local/bin/id": { kind: "executable" },
  "/bin/sh": { kind: "executable" },
  "/opt/a/tool": { kind: "not-executable" },
  "/opt/b/tool": { kind: "executable" },
  "/opt/a/notes": { kind: "not-executable" },
  "/opt/a/sub": { kind: "directory" },
  "/tmp": { kind: "directory" },
  "/etc/passwd": { kind: "not-executable" },
  "./planted": { kind: "executable" },
  "bin/planted": { kind: "executable" },
  "./rel/x": { kind: "executable" },
  "/etc/passwd/x": { kind: "unreachable", errno: ENOTDIR },
};
const calls: string[] = [];
const probe = (path: string): FileProbe => {
  calls.push(path);
  return FS[path] ?? { kind: "unreachable", errno: ENOENT };
};

describe("lookPath", () => {
  test.each<[string, string | undefined, ReturnType<typeof lookPath>]>([
    ["id", "/usr/local/bin:/usr/bin", { kind: "found", path: "/usr/local/bin/id" }],
    ["id", "/usr/bin:/usr/local/bin", { kind: "found", path: "/usr/bin/id" }],
    ["id", "/nowhere:/usr/bin/", { kind: "found", path: "/usr/bin/id" }],
    // Non-executable files and directories are skipped; a later executable one wins (Go).
    ["tool", "/opt/a:/opt/b", { kind: "found", path: "/opt/b/tool" }],
    ["sub", "/opt/a", { kind: "not-found", command: "sub", searchPath: "/opt/a" }],
    // Only a non-executable match: 126, not 127.
    ["notes", "/opt/a", { kind: "not-executable", command: "notes", path: "/opt/a/notes", isDirectory: false, viaPath: true }],
    ["nosuch", "/usr/bin", { kind: "not-found", command: "nosuch", searchPath: "/usr/bin" }],
    // PATH unset or empty finds nothing (Go; no execvp default).
    ["sh", undefined, { kind: "not-found", command: "sh", searchPath: "" }],
    ["sh", "", { kind: "not-found", command: "sh", searchPath: "" }],
    // Relative PATH entries ("", ".", "bin") are refused when they are where the match is.
    ["planted", ".:/usr/bin", { kind: "relative", command: "planted", path: "./planted" }],
    ["planted", ":/usr/bin", { kind: "relative", command: "planted", path: "./planted" }],
    ["planted", "/usr/bin:", { kind: "relative", command: "planted", path: "./planted" }],
    ["planted", "bin", { kind: "relative", command: "planted", path: "bin/planted" }],
    ["id", ".:/usr/bin", { kind: "found", path: "/usr/bin/id" }],
    // With a slash: used as is, no PATH search, relative allowed (as Go and gosu do).
    ["/bin/sh", "", { kind: "found", path: "/bin/sh" }],
    ["./rel/x", "/usr/bin", { kind: "found", path: "./rel/x" }],
    ["/etc/passwd", "/usr/bin", { kind: "not-executable", command: "/etc/passwd", path: "/etc/passwd", isDirectory: false, viaPath: false }],
    ["/tmp", "/usr/bin", { kind: "not-executable", command: "/tmp", path: "/tmp", isDirectory: true, viaPath: false }],
    ["/nonexistent", "/usr/bin", { kind: "unreachable", command: "/nonexistent", errno: ENOENT }],
    ["/etc/passwd/x", "/usr/bin", { kind: "unreachable", command: "/etc/passwd/x", errno: ENOTDIR }],
    // An empty command is never found, and nothing is probed for it.
    ["", "/usr/bin", { kind: "not-found", command: "", searchPath: "/usr/bin" }],
    // A program named like an option is just a name.
    ["--help", "/usr/bin", { kind: "not-found", command: "--help", searchPath: "/usr/bin" }],
  ])("%p in PATH=%p", (command, path, expected) => {
    expect(lookPath(command, path, probe)).toEqual(expected);
  });

  test("stops probing at the first executable match", () => {
    calls.length = 0;
    lookPath("id", "/usr/local/bin:/usr/bin:/bin", probe);
    expect(calls).toEqual(["/usr/local/bin/id"]);
  });

  test("nothing is probed for an empty command", () => {
    calls.length = 0;
    lookPath("", "/usr/bin:/bin", probe);
    expect(calls).toEqual([]);
  });
});

describe("exit codes and sbx messages", () => {
  test.each<[string, string | undefined, 126 | 127, string]>([
    ["nosuch", "/usr/bin", 127, `command "nosuch" not found in PATH "/usr/bin"`],
    ["sh", undefined, 127, `command "sh" not found: PATH is empty or unset`],
    ["/nonexistent", "", 127, `command "/nonexistent": stat: ENOENT`],
    ["/etc/passwd/x", "", 126, `command "/etc/passwd/x": stat: ENOTDIR`],
    ["/etc/passwd", "", 126, `command "/etc/passwd" is not executable by the workload user`],
    ["/tmp", "", 126, `command "/tmp" is a directory`],
    ["notes", "/opt/a", 126, `command "notes" found as "/opt/a/notes", which the workload user may not execute`],
    [
      "planted",
      ".",
      126,
      `command "planted" found only as "./planted" through a relative PATH entry; refusing it (give a path with a "/" or use absolute PATH entries)`,
    ],
  ])("%p in PATH=%p → %p", (command, path, code, message) => {
    const r = lookPath(command, path, probe);
    if (r.kind === "found") throw new Error("found");
    expect(lookupExitCode(r)).toBe(code);
    expect(describeLookup(r)).toBe(message);
  });
});
