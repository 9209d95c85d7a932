// Landlock, umask and resource limits while planning, without privileges: the syntax (setpriv's),
// the ABI negotiation against the kernel, each rule checked against the ruleset and the file's
// type, the command's own execute right, the place in the order, and every refusal before any change.
import { describe, expect, test } from "bun:test";
import { gosuOptions } from "../../src/gosu/options.ts";
import { Environment } from "../../src/identity/env.ts";
import { ALL_FS, FILE_RIGHTS, parseLandlockAccess, parseLandlockRule, RIGHT, rightList, rightsOfAbi } from "../../src/landlock/access.ts";
import { parseRlimit, parseUmask, UNLIMITED } from "../../src/limits/rlimit.ts";
import { UsageError } from "../../src/options/option.ts";
import type { LandlockFacts } from "../../src/stepdown/landlock/types.ts";
import type { LimitFacts } from "../../src/stepdown/limits.ts";
import { Errno } from "../../src/sys/errno.ts";
import { app, caller, callerFacts, kinds, opOf, planOf, refusal } from "./support.ts";

const facts = (over: Partial<LandlockFacts> = {}): LandlockFacts => ({
  abi: 7, abiErrno: null,
  rules: [{ text: "path-beneath::/data", path: "/data", access: null, fd: 20, directory: true, id: "8:1/9" }],
  chains: { "/dev": ["8:1/2", "0:5/1"], "/dev/null": ["8:1/2", "0:5/1", "0:5/4"] },
  command: { path: "/usr/bin/true", chain: ["8:1/2", "8:1/3", "8:1/4", "8:1/5"] },
  ...over,
});
const usr = { text: "path-beneath:execute,read-file:/usr", path: "/usr", access: RIGHT.execute | RIGHT["read-file"], fd: 21, directory: true, id: "8:1/3" };
const withUsr = (over: Partial<LandlockFacts> = {}) => facts({ rules: [...facts().rules, usr], ...over });
const plan = (args: string[], landlock: LandlockFacts = withUsr(), limits: LimitFacts | null = null, state = caller()) =>
  planOf(["--user", "app", ...args], callerFacts(state), app, { landlock, limits });

describe("setpriv's syntax", () => {
  test("fs is every right sbx knows; fs:LIST names them; rules take RIGHTS (or none) and the rest as the path", () => {
    expect(parseLandlockAccess("fs", "--landlock-access")).toBe(ALL_FS);
    expect(rightList(ALL_FS)).toBe("execute,write-file,read-file,read-dir,remove-dir,remove-file,make-char,make-dir,make-reg,make-sock,make-fifo,make-block,make-sym,refer,truncate,ioctl-dev");
    expect(parseLandlockAccess("fs:read-file,write-file", "--landlock-access")).toBe(RIGHT["read-file"] | RIGHT["write-file"]);
    expect(parseLandlockRule("path-beneath:read-file:/a:b", "--landlock-rule")).toMatchObject({ access: RIGHT["read-file"], path: "/a:b" });
    expect(parseLandlockRule("path-beneath::/tmp", "--landlock-rule")).toMatchObject({ access: null, path: "/tmp" });
  });

  test.each([
    ["--landlock-access", "fs:read-filez", 'unknown Landlock filesystem right "read-filez"'],
    ["--landlock-access", "net:bind-tcp", "setpriv syntax sbx does not offer"],
    ["--landlock-access", "scope", "setpriv syntax sbx does not offer"],
    ["--landlock-rule", "net-port:bind-tcp:80", "a net-port rule is setpriv syntax sbx does not offer"],
    ["--landlock-rule", "path-beneath:/tmp", "needs path-beneath:RIGHT,…:PATH"],
    ["--landlock-rule", "beneath:read-file:/tmp", "is not a Landlock rule"],
  ])("%s %s is a usage error", (opt, value, text) => {
    expect(() => planOf(["--landlock-access", "fs", opt, value])).toThrow(text);
  });

  test("a rule without --landlock-access is refused, as setpriv does", () => {
    expect(() => planOf(["--landlock-rule", "path-beneath::/tmp"])).toThrow(UsageError);
  });

  test("the ABI each right needs: 1, refer 2, truncate 3, ioctl-dev 5", () => {
    expect(rightList(rightsOfAbi(1))).not.toContain("refer");
    expect(rightsOfAbi(2) & ~rightsOfAbi(1)).toBe(RIGHT.refer);
    expect(rightsOfAbi(3) & ~rightsOfAbi(2)).toBe(RIGHT.truncate);
    expect(rightsOfAbi(4)).toBe(rightsOfAbi(3));
    expect(rightsOfAbi(5) & ~rightsOfAbi(4)).toBe(RIGHT["ioctl-dev"]);
    expect(rightsOfAbi(7)).toBe(ALL_FS);
  });
});

describe("the plan", () => {
  test("enforced after no_new_privs, verify and the lookup, right before the report and the filter; the rules keep their fds", () => {
    const p = plan(["--landlock-access", "fs", "--landlock-rule", "path-beneath::/data", "--landlock-rule", usr.text, "--umask", "027"], withUsr(), null);
    const k = kinds(p);
    expect(k.slice(k.indexOf("nnp"))).toEqual(["nnp", "verify", "lookup", "umask", "landlock", "resetSignals", "execve"]);
    const op = opOf(p, "landlock")!;
    expect(op.handled).toBe(ALL_FS);
    expect(op.rules.map((r) => [r.fd, rightList(r.access)])).toEqual([[20, rightList(ALL_FS)], [21, "execute,read-file"]]);
    expect(op.probes.map((x) => `${x.right} ${x.target} ${x.expect}`)).toEqual(["read-dir /dev denied", "read-file /dev/null denied", "write-file /dev/null denied"]);
  });

  test("rights this kernel lacks are refused before any change, naming each with the ABI it needs", () => {
    const r = refusal(() => plan(["--landlock-access", "fs", "--landlock-rule", usr.text], withUsr({ abi: 3 })));
    expect(r.step).toBe("landlock");
    expect(r.findingUid).toBe("landlock-rights-not-enforced");
    expect(r.message).toContain("this kernel's Landlock ABI is 3: it cannot enforce ioctl-dev (ABI 5)");
    expect(r.message).toContain("--allow-degraded landlock");
  });

  test("--allow-degraded landlock: the rights the kernel has are enforced, the others named as not enforced", () => {
    const p = plan(["--landlock-access", "fs", "--landlock-rule", usr.text, "--allow-degraded", "landlock"], withUsr({ abi: 2 }));
    expect(opOf(p, "landlock")!.handled).toBe(rightsOfAbi(2));
    expect(rightList(p.landlock!.notEnforced)).toBe("truncate,ioctl-dev");
    expect(p.degraded).toEqual([expect.objectContaining({ name: "landlock", reason: expect.stringContaining("cannot enforce truncate (ABI 3), ioctl-dev (ABI 5)") })]);
  });

  test("no Landlock at all (ENOSYS): refused; allowed by name, the plan has no ruleset and says so", () => {
    const none = facts({ abi: null, abiErrno: Errno.of(38), rules: [] });
    expect(refusal(() => plan(["--landlock-access", "fs:write-file"], none)).message).toContain("this kernel has no Landlock (landlock_create_ruleset: ENOSYS)");
    const p = plan(["--landlock-access", "fs:write-file", "--allow-degraded", "landlock"], none);
    expect(kinds(p)).not.toContain("landlock");
    expect(p.notes.join("\n")).toContain("Landlock ruleset NOT enforced");
  });

  test("a rule may allow only handled rights; on a file, only a file's rights (the empty form is tailored)", () => {
    expect(refusal(() => plan(["--landlock-access", "fs:read-file", "--landlock-rule", "path-beneath:write-file:/data"], facts({ rules: [{ ...facts().rules[0]!, access: RIGHT["write-file"], text: "path-beneath:write-file:/data" }], command: null }))).message)
      .toContain("allows write-file, which no --landlock-access handles");
    const file = { text: "path-beneath:read-dir:/etc/hosts", path: "/etc/hosts", access: RIGHT["read-dir"], fd: 22, directory: false, id: "8:1/7" };
    expect(refusal(() => plan(["--landlock-access", "fs"], withUsr({ rules: [usr, file] }))).message).toContain('"/etc/hosts" is not a directory, and read-dir apply only to a directory');
    const p = plan(["--landlock-access", "fs"], withUsr({ rules: [usr, { ...file, access: null, text: "path-beneath::/etc/hosts" }] }));
    expect(opOf(p, "landlock")!.rules[1]!.access).toBe(FILE_RIGHTS);
  });

  test("a ruleset that would deny the command's execve is refused before any change", () => {
    const r = refusal(() => plan(["--landlock-access", "fs"], facts()));
    expect(r.step).toBe("usage");
    expect(r.message).toContain('does not allow execute,read-file on "/usr/bin/true", the command');
    expect(r.message).toContain("--landlock-rule path-beneath:execute,read-file:/usr/bin");
    // Rights not handled need no rule.
    expect(kinds(plan(["--landlock-access", "fs:write-file"], facts()))).toContain("landlock");
  });

  test("without no_new_privs a non-root workload cannot enforce a ruleset: refused; a root one holds CAP_SYS_ADMIN", () => {
    expect(refusal(() => plan(["--landlock-access", "fs", "--allow-new-privs"])).message).toContain("without no_new_privs");
    const root = planOf(["--landlock-access", "fs", "--allow-new-privs", "--landlock-rule", usr.text], callerFacts(caller({}, 0xa82c25fbn)), null, { landlock: withUsr() });
    expect(root.landlock!.allowedBy).toBe("cap_sys_admin");
  });

  test("a ruleset the probes cannot show in force says so", () => {
    const p = plan(["--landlock-access", "fs:execute,make-reg", "--landlock-rule", usr.text.replace("execute,read-file", "execute")], withUsr({ rules: [{ ...usr, access: RIGHT.execute }] }));
    expect(opOf(p, "landlock")!.probes).toEqual([]);
    expect(p.landlock!.unverifiable).toContain("rests on the kernel accepting landlock_restrict_self");
    // Probes the rules allow show nothing about the ruleset being in force.
    const allowAll = plan(["--landlock-access", "fs:read-file", "--landlock-rule", "path-beneath:read-file:/"], withUsr({ rules: [{ ...usr, text: "path-beneath:read-file:/", path: "/", access: RIGHT["read-file"], id: "8:1/2" }] }));
    expect(opOf(allowAll, "landlock")!.probes.map((x) => x.expect)).toEqual(["allowed"]);
    expect(allowAll.landlock!.unverifiable).toContain("its rules allow them there");
  });
});

describe("--umask and --rlimit", () => {
  const limits = (hard = 1024n): LimitFacts => ({ current: new Map([[7, { soft: 1024n, hard }], [4, { soft: 0n, hard: UNLIMITED }]]), nrOpen: 1048576 });

  test("names as OCI's or docker's, values as numbers or unlimited, one value for both", () => {
    expect(parseRlimit("RLIMIT_NOFILE=512:1024", "--rlimit")).toMatchObject({ name: "nofile", resource: 7, soft: 512n, hard: 1024n });
    expect(parseRlimit("core=unlimited", "--rlimit")).toMatchObject({ resource: 4, soft: UNLIMITED, hard: UNLIMITED });
    expect(parseRlimit("NPROC=10", "--rlimit")).toMatchObject({ resource: 6, soft: 10n, hard: 10n });
    expect(() => parseRlimit("nofile=2:1", "--rlimit")).toThrow("the soft limit 2 is above the hard limit 1");
    expect(() => parseRlimit("files=2", "--rlimit")).toThrow('unknown resource "files"');
    expect(() => parseRlimit("nofile=-1", "--rlimit")).toThrow('"-1" is not a limit');
    expect(parseUmask("0027", "--umask")).toBe(0o27);
    expect(parseUmask("22", "--umask")).toBe(0o22);
    expect(() => parseUmask("0999", "--umask")).toThrow("octal mask");
    expect(() => parseUmask("01777", "--umask")).toThrow("octal mask");
  });

  test("lowering is planned late, after the identity is verified; umask after the limits", () => {
    const p = plan(["--rlimit", "nofile=256:512", "--umask", "077"], withUsr(), limits());
    const k = kinds(p);
    expect(k).not.toContain("rlimitRaise");
    expect(k.slice(k.indexOf("lookup"), k.indexOf("lookup") + 3)).toEqual(["lookup", "rlimits", "umask"]);
    expect(opOf(p, "umask")!.mask).toBe(0o77);
  });

  test("a hard limit above the current one is raised early, while CAP_SYS_RESOURCE is held; without it, refused before any change", () => {
    const withResource = caller({}, 0xa82c25fbn | (1n << 24n));
    const p = plan(["--rlimit", "nofile=4096"], withUsr(), limits(), withResource);
    expect(kinds(p).slice(0, 3)).toEqual(["fds", "rlimitRaise", "setgroups"]);
    expect(opOf(p, "rlimitRaise")!.limits).toEqual([{ name: "nofile", resource: 7, soft: 1024n, hard: 4096n }]);
    const r = refusal(() => plan(["--rlimit", "nofile=4096"], withUsr(), limits()));
    expect(r.step).toBe("rlimits");
    expect(r.message).toContain("raising the hard limit of RLIMIT_NOFILE from 1024 to 4096 needs CAP_SYS_RESOURCE");
  });

  test("nofile above fs.nr_open, or unlimited, is refused; a resource given twice too", () => {
    const withResource = caller({}, 0xa82c25fbn | (1n << 24n));
    expect(refusal(() => plan(["--rlimit", "nofile=2000000"], withUsr(), limits(), withResource)).message).toContain("at most 1048576 open files");
    expect(refusal(() => plan(["--rlimit", "nofile=unlimited"], withUsr(), limits(), withResource)).message).toContain("cannot be unlimited");
    expect(refusal(() => plan(["--rlimit", "nofile=1", "--rlimit", "RLIMIT_NOFILE=2"], withUsr(), limits())).message).toContain("both set RLIMIT_NOFILE");
  });
});

describe("gosu mode's variables", () => {
  const env = (vars: Record<string, string>) => Environment.fromBlock(Object.entries(vars).map(([k, v]) => `${k}=${v}`));
  test("SBX_UMASK, SBX_RLIMIT_<NAME>, SBX_LANDLOCK_ACCESS and SBX_LANDLOCK_RULE_<ID> are the options' values", () => {
    const vars = { SBX_UMASK: "027", SBX_RLIMIT_NOFILE: "512:1024", SBX_RLIMIT_CORE: "0", SBX_LANDLOCK_ACCESS: "fs", SBX_LANDLOCK_RULE_B: "path-beneath::/tmp", SBX_LANDLOCK_RULE_A: usr.text };
    const o = gosuOptions("app", ["true"], Object.entries(vars).map(([k, v]) => `${k}=${v}`), env(vars));
    expect(o.umask).toBe("0027");
    expect(o.rlimit!.map((r) => r.text)).toEqual(["CORE=0", "NOFILE=512:1024"]);
    expect(o.landlockAccess!.map((a) => a.rights)).toEqual([ALL_FS]);
    expect(o.landlockRule!.map((r) => r.path)).toEqual(["/usr", "/tmp"]);
  });

  test("a bad value names the variable", () => {
    const vars = { SBX_RLIMIT_NOFILE: "many" };
    expect(() => gosuOptions("app", ["true"], ["SBX_RLIMIT_NOFILE=many"], env(vars))).toThrow('SBX_RLIMIT_<NAME> "NOFILE=many": "many" is not a limit');
    expect(() => gosuOptions("app", ["true"], ["SBX_RLIMIT="], env({ SBX_RLIMIT: "" }))).toThrow("unknown");
  });
});
