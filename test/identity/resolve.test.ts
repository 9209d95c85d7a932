import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { IdentityError, type IdentityProblem } from "../../src/identity/errors.ts";
import { parseGroup, parsePasswd, type UserDb } from "../../src/identity/passwd.ts";
import { readUserDb } from "../../src/identity/userdb.ts";
import { EXEC_RULES, GOSU_RULES, type GroupsPolicy, parseGroupsPolicy, type ResolveOptions, resolveUser } from "../../src/identity/resolve.ts";
import { parseUserSpec } from "../../src/identity/spec.ts";
import { fromText } from "../../src/text/bytes.ts";
import { rng } from "../support/random.ts";

// Alpine-like: root is in groups 0,1,2,3,4,6,10; games in users(100); alice(1001) in audio(18),
// video(27); operator has gid 0; no entry for uid 1000.
const ALPINE = readUserDb(join(import.meta.dir, "../fixtures/user/alpine"));
/** What the caller (root in an entrypoint) holds: only `keep` may pass these on. */
const ROOT_GROUPS = [0, 1, 2, 3, 4, 6, 10];
const DEFAULTS: ResolveOptions = { currentGroups: ROOT_GROUPS, rules: EXEC_RULES, callerGid: 0 };
/** gosu mode, called by root: a bare uid takes the caller's gid, an empty home stays empty. */
const GOSU: Partial<ResolveOptions> = { rules: GOSU_RULES, callerGid: 0 };

function resolve(spec: string, options: Partial<ResolveOptions> = {}, db: UserDb = ALPINE) {
  return resolveUser(parseUserSpec(spec), db, { ...DEFAULTS, ...options });
}

function problemOf(fn: () => unknown): IdentityProblem {
  try {
    fn();
  } catch (e) {
    if (e instanceof IdentityError) return e.problem;
    throw e;
  }
  throw new Error("no error");
}

type Row = { uid: number; gid: number; home: string; groups: number[] };

// gosu's own test matrix (tianon/gosu Dockerfile.test-alpine), against the fixture, as sbx exec
// resolves it. The last column is what gosu does where sbx differs on purpose; gosu mode's own
// rules are checked below.
describe("gosu's test matrix", () => {
  test.each<[string, Row, string]>([
    ["0", { uid: 0, gid: 0, home: "/root", groups: [0, 1, 2, 3, 4, 6, 10] }, ""],
    ["0:0", { uid: 0, gid: 0, home: "/root", groups: [0] }, "gosu: groups []"],
    ["root", { uid: 0, gid: 0, home: "/root", groups: [0, 1, 2, 3, 4, 6, 10] }, ""],
    ["0:root", { uid: 0, gid: 0, home: "/root", groups: [0] }, "gosu: groups []"],
    ["root:0", { uid: 0, gid: 0, home: "/root", groups: [0] }, "gosu: groups []"],
    ["root:root", { uid: 0, gid: 0, home: "/root", groups: [0] }, "gosu: groups []"],
    ["0:1000", { uid: 0, gid: 1000, home: "/root", groups: [1000] }, "gosu: groups []"],
    ["1000:1000", { uid: 1000, gid: 1000, home: "/", groups: [1000] }, "gosu: groups []"],
    ["root:1000", { uid: 0, gid: 1000, home: "/root", groups: [1000] }, "gosu: groups []"],
    ["1000:root", { uid: 1000, gid: 0, home: "/", groups: [0] }, "gosu: groups []"],
    ["1000:daemon", { uid: 1000, gid: 2, home: "/", groups: [2] }, "gosu: groups []"],
    ["games", { uid: 35, gid: 35, home: "/usr/games", groups: [35, 100] }, "gosu: groups [100]"],
    ["games:daemon", { uid: 35, gid: 2, home: "/usr/games", groups: [2] }, "gosu: groups []"],
    ["0:", { uid: 0, gid: 0, home: "/root", groups: [0, 1, 2, 3, 4, 6, 10] }, ""],
  ])("%p", (spec, expected) => {
    const u = resolve(spec);
    expect({ uid: u.uid, gid: u.gid, home: u.home, groups: [...u.groups] }).toEqual(expected);
  });

  test.each<[string, IdentityProblem, string]>([
    ["", "empty-user", "gosu: runs as the caller (root)"],
    [":0", "empty-user", "gosu: the caller's uid with gid 0"],
    ["bogus", "unknown-user", ""],
    ["0day", "unknown-user", ""],
    ["0:bogus", "unknown-group", ""],
    ["0:0day", "unknown-group", ""],
    ["1000", "no-group", "gosu: the caller's gid (0); gosu mode does the same"],
  ])("%p fails: %s", (spec, problem) => {
    expect(problemOf(() => resolve(spec))).toBe(problem);
  });

  test("a bare uid without entry: sbx exec asks for a group, offering UID:UID or UID:0; gosu mode takes the caller's gid", () => {
    expect(() => resolve("1000")).toThrow(`user spec "1000": uid 1000 has no entry in /etc/passwd, so it has no group of its own; name one, e.g. 1000:1000 or 1000:0`);
    const u = resolve("1000", GOSU);
    expect({ uid: u.uid, gid: u.gid, home: u.home, groups: [...u.groups] }).toEqual({ uid: 1000, gid: 0, home: "/", groups: [0] });
    expect(resolve("1000", { ...GOSU, callerGid: 4242 }).gid).toBe(4242);
  });
});

// sandbox-peers.md T-A5: every odd spec has a defined outcome; none yields -1, none yields 0
// without saying 0/root.
describe("T-A5 user-spec matrix", () => {
  test.each<[string, IdentityProblem | Row]>([
    ["-1", "out-of-range"],
    ["4294967295", "out-of-range"],
    ["2147483648", "out-of-range"],
    ["2147483647", "no-group"],
    ["2147483647:2147483647", { uid: 2147483647, gid: 2147483647, home: "/", groups: [2147483647] }],
    ["65536:-1", "out-of-range"],
    [" 0", "unknown-user"],
    ["0 ", "unknown-user"],
    ["+0", "not-canonical"],
    ["0x0", "unknown-user"],
    ["00", "not-canonical"],
    ["1e3", "unknown-user"],
    ["root\n", "unknown-user"],
    [":", "empty-user"],
    ["::", "empty-user"],
    ["0:0:0", "extra-colon"],
    ["99999999999999999999", "out-of-range"],
    ["a".repeat(255), "unknown-user"],
    ["a".repeat(256), "name-too-long"],
    ["nobody", { uid: 65534, gid: 65534, home: "/", groups: [65534] }],
    ["alice", { uid: 1001, gid: 1001, home: "/home/alice", groups: [1001, 18, 27] }],
    ["1001", { uid: 1001, gid: 1001, home: "/home/alice", groups: [1001, 18, 27] }],
    ["operator", { uid: 11, gid: 0, home: "/root", groups: [0] }],
  ])("%p", (spec, expected) => {
    if (typeof expected === "string") {
      expect(problemOf(() => resolve(spec))).toBe(expected);
    } else {
      const u = resolve(spec);
      expect({ uid: u.uid, gid: u.gid, home: u.home, groups: [...u.groups] }).toEqual(expected);
    }
  });

  test("a long name that exists resolves", () => {
    const long = "a".repeat(255);
    const db = { passwd: parsePasswd(`${long}:x:4000:4000::/srv:/bin/sh`), group: [] };
    expect(resolve(long, {}, db)).toMatchObject({ uid: 4000, name: long });
  });

  test("messages name the input and what was looked up", () => {
    expect(() => resolve("bogus")).toThrow(`user spec "bogus": no user "bogus" in /etc/passwd`);
    expect(() => resolve("0:bogus")).toThrow(`user spec "0:bogus": no group "bogus" in /etc/group`);
    expect(() => resolve("root\n")).toThrow(`user spec "root\\n": no user "root\\n" in /etc/passwd`);
  });
});

describe("what an entry contributes", () => {
  test("name, shell and home come from the passwd entry", () => {
    expect(resolve("alice")).toEqual({
      uid: 1001,
      gid: 1001,
      home: "/home/alice",
      shell: "/bin/ash",
      name: "alice",
      groups: [1001, 18, 27],
      groupsRule: "init",
    });
  });

  test("a uid without entry has no name or shell", () => {
    expect(resolve("1000:1000")).toEqual({ uid: 1000, gid: 1000, home: "/", groups: [1000], groupsRule: "primary" });
  });

  test("a number is always an id, even when a user is named like it", () => {
    const db = { passwd: parsePasswd("1000:x:5000:5000::/five:\nreal:x:1000:1000::/real:"), group: [] };
    expect(resolve("1000", {}, db)).toMatchObject({ uid: 1000, name: "real", home: "/real" });
  });

  test("the first matching entry wins, for names and numbers", () => {
    const db = {
      passwd: parsePasswd("a:x:10:10::/first:\na:x:20:20::/second:\nb:x:10:30::/third:"),
      group: parseGroup("g:x:7:\ng:x:8:"),
    };
    expect(resolve("a:g", {}, db)).toMatchObject({ uid: 10, gid: 7, home: "/first" });
    expect(resolve("10", {}, db)).toMatchObject({ name: "a", gid: 10 });
  });

  test("an empty home field becomes / in sbx exec, and stays empty in gosu mode (gosu: HOME=\"\")", () => {
    const db = { passwd: parsePasswd("a:x:10:10:::"), group: [] };
    expect(resolve("a", {}, db).home).toBe("/");
    expect(resolve("a", GOSU, db).home).toBe("");
  });

  test("names, homes and shells are bytes: the first entry wins whatever bytes it holds", () => {
    const db = { passwd: parsePasswd("svc:x:4242:4242::/home/caf\xe9:/bin/sh\nsvc:x:4242:0::/root:/bin/sh"), group: [] };
    for (const spec of ["svc", "4242"]) expect(resolve(spec, {}, db)).toMatchObject({ uid: 4242, gid: 4242, home: "/home/caf\xe9" });
    const utf8 = { passwd: parsePasswd(fromText("jos\u00e9:x:5000:5000::/home/jos\u00e9:")), group: [] };
    expect(resolve(fromText("jos\u00e9"), {}, utf8)).toMatchObject({ uid: 5000, home: fromText("/home/jos\u00e9") });
    expect(problemOf(() => resolve("jos\xe9", {}, utf8))).toBe("unknown-user"); // latin-1 é is another name
  });

  test("without any passwd/group file, numbers still resolve and names do not (as gosu)", () => {
    const empty = { passwd: [], group: [] };
    expect(resolve("1000:1000", {}, empty)).toMatchObject({ uid: 1000, gid: 1000, home: "/" });
    expect(problemOf(() => resolve("root", {}, empty))).toBe("unknown-user");
  });

  test("lines moby would read as uid 0 never make anyone root", () => {
    const db = {
      passwd: parsePasswd("# root:x:0:0::/root:\n+::::::\nevil:x::0::/:\nevil2:x:abc:abc::/:\nevil3:x:00:0::/:"),
      group: parseGroup("evilgrp:x::evil\n+:::"),
    };
    expect(resolve("0:0", {}, db)).toMatchObject({ uid: 0, gid: 0, home: "/", groups: [0] });
    expect(problemOf(() => resolve("0", {}, db))).toBe("no-group");
    for (const spec of ["evil", "evil2", "evil3", "+", "#"]) expect(problemOf(() => resolve(spec, {}, db))).toBe("unknown-user");
    expect(problemOf(() => resolve("0:evilgrp", {}, db))).toBe("unknown-group");
  });
});

describe("groups policy", () => {
  test.each<[string, GroupsPolicy]>([
    ["init", { kind: "init" }],
    ["clear", { kind: "clear" }],
    ["keep", { kind: "keep" }],
    ["video", { kind: "list", text: "video", groups: [{ kind: "name", name: "video" }] }],
    [
      "audio,27,5000",
      {
        kind: "list",
        text: "audio,27,5000",
        groups: [{ kind: "name", name: "audio" }, { kind: "id", id: 27 }, { kind: "id", id: 5000 }],
      },
    ],
  ])("parse %p", (text, policy) => {
    expect(parseGroupsPolicy(text)).toEqual(policy);
  });

  test.each<[string, IdentityProblem]>([
    ["", "empty-item"],
    [",", "empty-item"],
    ["audio,", "empty-item"],
    ["audio,,video", "empty-item"],
    ["-1", "out-of-range"],
    ["4294967295", "out-of-range"],
    ["+0", "not-canonical"],
  ])("parse %p fails: %s", (text, problem) => {
    expect(problemOf(() => parseGroupsPolicy(text))).toBe(problem);
  });

  const groupsOf = (spec: string, policy: string) =>
    resolve(spec, { groups: parseGroupsPolicy(policy) });

  test.each<[string, string, number[], string]>([
    ["alice", "init", [1001, 18, 27], "init"],
    ["alice:games", "init", [35, 1001, 18, 27], "init"],
    ["1001", "init", [1001, 18, 27], "init"],
    ["alice", "clear", [], "clear"],
    ["nobody", "clear", [], "clear"],
    ["alice", "keep", ROOT_GROUPS, "keep"],
    ["1000:1000", "keep", ROOT_GROUPS, "keep"],
    ["alice", "video,audio,5000,video", [27, 18, 5000], "list"],
    ["alice", "0", [0], "list"],
    ["1000:1000", "wheel", [10], "list"],
  ])("%p with %p → %p", (spec, policy, groups, rule) => {
    const u = groupsOf(spec, policy);
    expect([...u.groups]).toEqual(groups);
    expect(u.groupsRule).toBe(rule as never);
  });

  test("init for a uid without entry is refused", () => {
    expect(() => groupsOf("1000:1000", "init")).toThrow(
      `user spec "1000:1000": groups "init" needs a /etc/passwd entry for uid 1000 to find its memberships; use clear, keep or a list`,
    );
  });

  test("an unknown group in the list is refused, naming the list", () => {
    expect(() => groupsOf("alice", "video,nosuch")).toThrow(`groups "video,nosuch": no group "nosuch" in /etc/group`);
  });

  test("root's own groups never reach another user unless keep is asked (T-A1)", () => {
    // None of these users is a member of, or has as gid, any of root's groups.
    for (const spec of ["nobody", "alice", "games", "1000:1001", "1000:1000", "65534", "alice:users"]) {
      for (const groups of [undefined, parseGroupsPolicy("clear"), parseGroupsPolicy("audio,100")]) {
        const u = resolve(spec, groups ? { groups } : {});
        expect(u.groups.filter((g) => ROOT_GROUPS.includes(g))).toEqual([]);
      }
    }
    expect(resolve("nobody", { groups: parseGroupsPolicy("keep") }).groups).toEqual(ROOT_GROUPS);
  });

  test("the primary gid is among the groups by default (T-A2)", () => {
    for (const spec of ["0", "root", "alice", "games", "nobody", "1000:1000", "alice:daemon", "1000:50"]) {
      const u = resolve(spec);
      expect(u.groups).toContain(u.gid);
    }
  });
});

describe("property: random specs never yield -1, nor 0 unless they name 0/root", () => {
  const PIECES = [
    "0", "1", "9", "00", "-", "+", ":", " ", "\n", "\t", "x", "e", "root", "operator", "alice", "games",
    "wheel", "daemon", "2147483647", "2147483648", "4294967295", "65534", "é", "\u0000", "\uFFFD", "#",
  ].map(fromText);
  const randomSpec = (next: () => number) => {
    let s = "";
    const n = Math.floor(next() * 5);
    for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
    return s;
  };

  // Independent of the implementation: which parts could legitimately mean 0.
  const userNamesZero = (u: string) =>
    u === "0" || ALPINE.passwd.find((e) => e.name === u)?.uid === 0;
  const groupNamesZero = (g: string) => g === "0" || ALPINE.group.find((e) => e.name === g)?.gid === 0;
  const entryOf = (u: string) =>
    /^(0|[1-9][0-9]*)$/.test(u) ? ALPINE.passwd.find((e) => e.uid === Number(u)) : ALPINE.passwd.find((e) => e.name === u);

  test("20000 random specs", () => {
    const next = rng(20240611);
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const spec = randomSpec(next);
      let u: ReturnType<typeof resolve>;
      try {
        u = resolve(spec);
      } catch (e) {
        if (!(e instanceof IdentityError)) throw e;
        expect(e.message).not.toMatch(/[\n\r]/);
        continue;
      }
      accepted++;
      const [userPart = "", groupPart = ""] = spec.split(":");
      for (const id of [u.uid, u.gid, ...u.groups]) {
        expect(Number.isInteger(id) && id >= 0 && id <= 2147483647).toBe(true);
      }
      if (u.uid === 0) expect(userNamesZero(userPart)).toBe(true);
      if (u.gid === 0) {
        const viaGroup = groupPart !== "" && groupNamesZero(groupPart);
        const viaEntry = groupPart === "" && (userPart === "0" || entryOf(userPart)?.gid === 0);
        expect(viaGroup || viaEntry).toBe(true);
      }
      if (u.groups.includes(0)) expect(u.gid === 0 || entryOf(userPart)?.name === "root").toBe(true);
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
