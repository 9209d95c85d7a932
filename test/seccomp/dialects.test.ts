// The profiles runtimes ship, read as they mean it: containers/common's dialect (errno names,
// "args": null, empty includes/excludes, comments), the OCI runtime spec's linux.seccomp inside a
// whole config.json, and numbers exactly as written.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERRNO_NUMBERS } from "../../src/seccomp/errno.ts";
import { parseProfile, ProfileError, readProfileJson } from "../../src/seccomp/profile.ts";
import { compileProfile, loadSeccompProgram } from "../../src/seccomp/source.ts";
import { asker, target } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sbx-seccomp-dialects-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** The issues of compiling this JSON text, or [] when it compiles. */
function issues(text: string): readonly string[] {
  try {
    compileProfile(parseProfile(readProfileJson(text)), target());
    return [];
  } catch (e) {
    if (e instanceof ProfileError) return e.issues;
    throw e;
  }
}
const withArg = (value: string) => `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":${value},"op":"SCMP_CMP_EQ"}]}]}`;

describe("numbers are integers as written, as Go's unmarshalling reads them for runc, Docker and Podman", () => {
  test.each([
    ["a fraction that would round to 2^53", withArg("9007199254740993.0"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 9007199254740993.0"],
    ["1.0", withArg("1.0"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 1.0"],
    ["an exponent", withArg("1e3"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 1e3"],
    ["a negative number", withArg("-1"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got -1"],
    ["minus zero", withArg("-0"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got -0"],
    ["2^64", withArg("18446744073709551616"), "syscalls[0].args[0].value: expected an integer from 0 to 2^64-1, got 18446744073709551616"],
    ["an index written 1e0", '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1e0,"value":1,"op":"SCMP_CMP_EQ"}]}]}', "syscalls[0].args[0].index: expected an argument index from 0 to 5, got 1e0"],
    ["errnoRet 1.0", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1.0}]}', "syscalls[0].errnoRet: expected an integer from 0 to 65535, got 1.0"],
    ["defaultErrnoRet 2^32", '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4294967296}', "defaultErrnoRet: expected an integer from 0 to 65535, got 4294967296"],
  ])("%s is refused, naming its place", (_what, text, message) => {
    expect(issues(text)).toContain(message);
  });

  test("2^64-1 and 2^53+1 keep every digit", () => {
    const value = (text: string) => parseProfile(readProfileJson(withArg(text))).syscalls[0]!.args[0]!.value;
    expect([value("18446744073709551615"), value("9007199254740993")]).toEqual([18446744073709551615n, 9007199254740993n]);
  });
});

describe("containers/common's dialect", () => {
  const rule = (extra: object) => JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["ptrace"], action: "SCMP_ACT_ERRNO", ...extra }] });

  test("errno names beside or instead of errnoRet, defaultErrno, args null, empty includes and excludes, comments", () => {
    const profile = parseProfile(
      readProfileJson(
        JSON.stringify({
          defaultAction: "SCMP_ACT_ERRNO",
          defaultErrno: "ENOSYS",
          syscalls: [
            { names: ["read"], action: "SCMP_ACT_ALLOW", args: null, comment: "", includes: {}, excludes: {} },
            { names: ["ptrace"], action: "SCMP_ACT_ERRNO", errno: "EPERM", errnoRet: 1, args: [], comment: "", includes: {}, excludes: {} },
            { names: ["kcmp"], action: "SCMP_ACT_ERRNO", errno: "EWOULDBLOCK" },
            { names: ["acct"], action: "SCMP_ACT_ERRNO", errno: "EHWPOISON" },
          ],
        }),
      ),
    );
    const ask = asker(profile, target());
    expect([ask("read"), ask("ptrace"), ask("kcmp"), ask("acct"), ask("write")]).toEqual(["ALLOW", "ERRNO(1)", "ERRNO(11)", "ERRNO(133)", "ERRNO(38)"]);
  });

  test.each([
    ["a name that disagrees with errnoRet", rule({ errno: "EPERM", errnoRet: 13 }), 'syscalls[0].errno: "EPERM" is 1, but errnoRet says 13'],
    ["an unknown name", rule({ errno: "EPERMS" }), 'syscalls[0].errno: unknown errno name "EPERMS" (expected a name such as "EPERM")'],
    ["a name on an action without data", JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", errno: "EPERM" }] }), "syscalls[0].errno: errno 1 goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW"],
    ["a default name that disagrees", JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", defaultErrno: "ENOSYS", defaultErrnoRet: 1 }), 'defaultErrno: "ENOSYS" is 38, but defaultErrnoRet says 1'],
  ])("%s is refused", (_what, text, message) => {
    expect(issues(text)).toContain(message);
  });

  test("the errno names are the kernel's (include/uapi/asm-generic, as x86_64 and aarch64 use them)", () => {
    const kernel: Record<string, number> = {};
    for (const header of ["errno-base.h", "errno.h"]) {
      for (const [, name, value] of readFileSync(`/usr/include/asm-generic/${header}`, "utf8").matchAll(/^#define\s+(E\w+)\s+(\w+)/gm)) {
        kernel[name!] = /^\d+$/.test(value!) ? Number(value) : kernel[value!]!;
      }
    }
    expect(ERRNO_NUMBERS).toEqual(kernel);
  });
});

describe("an OCI config.json: --seccomp config.json takes its linux.seccomp", () => {
  const seccomp = { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: ["SCMP_ARCH_X86_64"], flags: ["SECCOMP_FILTER_FLAG_LOG"], syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }] };
  const config = (linux: object) => JSON.stringify({ ociVersion: "1.2.0", process: { args: ["sh"], oomScoreAdj: -1000 }, root: { path: "rootfs" }, linux });

  test("compiles the profile inside, with its flags", () => {
    const program = loadSeccompProgram(file("config.json", config({ seccomp, namespaces: [{ type: "pid" }] })), target());
    const alone = loadSeccompProgram(file("profile.json", JSON.stringify(seccomp)), target());
    expect([program.bytes, program.flags]).toEqual([alone.bytes, 2]);
  });

  test("errors and warnings name their place under linux.seccomp", () => {
    const bad = file("bad-config.json", config({ seccomp: { ...seccomp, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALOW" }] } }));
    expect(() => loadSeccompProgram(bad, target())).toThrow(`${bad}: linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_ALOW"`);
    const shadowed = file("shadowed-config.json", config({ seccomp: { ...seccomp, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["read"], action: "SCMP_ACT_KILL" }] } }));
    expect(loadSeccompProgram(shadowed, target()).warnings).toEqual([
      'linux.seccomp.syscalls[1].names[0]: "read" never gets KILL_THREAD from this rule: linux.seccomp.syscalls[0].names[0] gives it ALLOW without conditions, and that rule alone decides (as runc with libseccomp does)',
    ]);
  });

  test("a config.json without linux.seccomp, and user notification, are refused", () => {
    const none = file("none-config.json", config({ namespaces: [] }));
    expect(() => loadSeccompProgram(none, target())).toThrow(`${none}: linux.seccomp: missing (this OCI config.json has no seccomp profile)`);
    const listener = file("listener-config.json", config({ seccomp: { ...seccomp, listenerPath: "/run/seccomp-agent.socket", listenerMetadata: "" } }));
    expect(() => loadSeccompProgram(listener, target())).toThrow(`${listener}: linux.seccomp.listenerPath: is for user notification (SCMP_ACT_NOTIFY), which sbx does not offer: no supervisor would answer it`);
  });
});
