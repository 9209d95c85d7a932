import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGroup, parsePasswd } from "../../src/identity/passwd.ts";
import { MAX_DB_FILE_BYTES, readUserDb, UserDbError } from "../../src/identity/userdb.ts";
import { fromText } from "../../src/text/bytes.ts";

const ALPINE = join(import.meta.dir, "../fixtures/user/alpine");

describe("parsePasswd", () => {
  test("a normal line", () => {
    expect(parsePasswd("root:x:0:0:root:/root:/bin/sh\n")).toEqual([
      { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" },
    ]);
  });

  test.each([
    ["blank and white-space-only lines", "\n   \n\t\n"],
    ["a comment", "# root:x:0:0::/root:/bin/sh"],
    ["an indented comment", "   # root:x:0:0::/root:/bin/sh"],
    ["an NIS include", "+::::::"],
    ["an NIS named include", "+alice::::::"],
    ["an NIS exclude", "-bob::::::"],
    ["an empty uid (moby would make it uid 0)", "evil:x::1000::/:/bin/sh"],
    ["an empty gid (moby would make it gid 0)", "evil:x:1000:::/:/bin/sh"],
    ["a non-numeric uid (moby: 0)", "evil:x:abc:1000::/:/bin/sh"],
    ["a negative uid", "evil:x:-1:1000::/:/bin/sh"],
    ["a signed uid", "evil:x:+0:1000::/:/bin/sh"],
    ["a uid with leading zeros", "evil:x:00:1000::/:/bin/sh"],
    ["a uid above 2^31-1", "evil:x:2147483648:1000::/:/bin/sh"],
    ["a uid of 2^32-1 (-1 to setresuid)", "evil:x:4294967295:1000::/:/bin/sh"],
    ["an empty name", ":x:1000:1000::/:/bin/sh"],
    ["too few fields for a gid", "evil:x:1000"],
  ])("skips %s", (_what, text) => {
    expect(parsePasswd(text)).toEqual([]);
  });

  test("missing trailing fields are empty, extra fields are ignored (as moby)", () => {
    expect(parsePasswd("a:x:1:2\nb:x:3:4:gecos:/b:/bin/sh:extra:more")).toEqual([
      { name: "a", uid: 1, gid: 2, home: "", shell: "" },
      { name: "b", uid: 3, gid: 4, home: "/b", shell: "/bin/sh" },
    ]);
  });

  test("lines are trimmed as a whole, fields are not; CRLF is fine", () => {
    expect(parsePasswd("  a:x:1:2:: /home/a :/bin/sh \r\n")).toEqual([
      { name: "a", uid: 1, gid: 2, home: " /home/a ", shell: "/bin/sh" },
    ]);
  });

  test("a byte order mark is not white space (Go's TrimSpace keeps it), so that line names no one we match", () => {
    expect(parsePasswd(fromText("\uFEFFroot:x:0:0::/root:/bin/sh"))[0]?.name).toBe(fromText("\uFEFFroot"));
  });

  test("Unicode white space around a line is trimmed as Go does, in its UTF-8 bytes", () => {
    expect(parsePasswd(fromText("\u00a0\u3000a:x:1:2::/a:/bin/sh\u2028"))).toEqual([{ name: "a", uid: 1, gid: 2, home: "/a", shell: "/bin/sh" }]);
  });

  test("nothing is skipped for its encoding: the first entry wins whatever bytes it holds", () => {
    const entries = parsePasswd("svc:x:4242:4242::/home/caf\xe9:/bin/sh\nsvc:x:4242:0::/root:/bin/sh\n\xffroot:x:7:7::/:");
    expect(entries.map((e) => [e.name, e.gid, e.home])).toEqual([["svc", 4242, "/home/caf\xe9"], ["svc", 0, "/root"], ["\xffroot", 7, "/"]]);
  });

  test("keeps file order and duplicates (the first match wins later)", () => {
    const entries = parsePasswd("a:x:1:1::/a:\na:x:2:2::/b:\nc:x:1:3::/c:");
    expect(entries.map((e) => [e.name, e.uid])).toEqual([["a", 1], ["a", 2], ["c", 1]]);
  });

  test("the largest id is 2^31-1", () => {
    expect(parsePasswd("max:x:2147483647:2147483647::/:")[0]?.uid).toBe(2147483647);
  });
});

describe("parseGroup", () => {
  test("members, empty member lists, comments and NIS lines", () => {
    const text = ["root:x:0:root", "tty:x:5:", "# wheel:x:10:root", "+:::", "short:x:7", "adm:x:4:root,,daemon"].join("\n");
    expect(parseGroup(text)).toEqual([
      { name: "root", gid: 0, members: ["root"] },
      { name: "tty", gid: 5, members: [] },
      { name: "short", gid: 7, members: [] },
      { name: "adm", gid: 4, members: ["root", "daemon"] },
    ]);
  });

  test.each([
    ["an empty gid", "evil:x::root"],
    ["a non-numeric gid", "evil:x:zero:root"],
    ["a gid above 2^31-1", "evil:x:4294967295:root"],
    ["too few fields", "evil:x"],
  ])("skips %s", (_what, text) => {
    expect(parseGroup(text)).toEqual([]);
  });

  test("members are compared exactly: ' bob' is not 'bob'; members are bytes, whatever their encoding", () => {
    expect(parseGroup("g:x:9:alice, bob,\xffx")[0]?.members).toEqual(["alice", " bob", "\xffx"]);
  });
});

describe("readUserDb", () => {
  test("reads <root>/etc/passwd and <root>/etc/group", () => {
    const db = readUserDb(ALPINE);
    expect(db.passwd.find((e) => e.name === "games")).toEqual({
      name: "games",
      uid: 35,
      gid: 35,
      home: "/usr/games",
      shell: "/sbin/nologin",
    });
    expect(db.group.filter((g) => g.members.includes("root")).map((g) => g.gid)).toEqual([0, 1, 2, 3, 4, 6, 10]);
  });

  describe("in a scratch root", () => {
    const withRoot = (fn: (root: string) => void) => {
      const root = mkdtempSync(join(tmpdir(), "sbx-user-"));
      mkdirSync(join(root, "etc"));
      try {
        fn(root);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };

    test("missing files are empty databases (numeric ids still resolve, as in gosu)", () => {
      withRoot((root) => expect(readUserDb(root)).toEqual({ passwd: [], group: [] }));
    });

    test("a directory is refused", () => {
      withRoot((root) => {
        mkdirSync(join(root, "etc/passwd"));
        expect(() => readUserDb(root)).toThrow(new UserDbError(`cannot read "${root}/etc/passwd": not a regular file`));
      });
    });

    test("a FIFO is refused without waiting for a writer", () => {
      withRoot((root) => {
        const r = Bun.spawnSync(["mkfifo", join(root, "etc/group")]);
        expect(r.exitCode).toBe(0);
        expect(() => readUserDb(root)).toThrow(/etc\/group": not a regular file$/);
      });
    });

    test("a file over the size bound is refused, not truncated", () => {
      withRoot((root) => {
        writeFileSync(join(root, "etc/passwd"), Buffer.alloc(MAX_DB_FILE_BYTES + 1, "\n"));
        expect(() => readUserDb(root)).toThrow(/etc\/passwd": larger than 10485760 bytes$/);
      });
    });

    test("a file at the bound is read", () => {
      withRoot((root) => {
        const line = "a:x:1:1::/:\n";
        writeFileSync(join(root, "etc/passwd"), `${line}#${"x".repeat(MAX_DB_FILE_BYTES - line.length - 1)}`);
        expect(readUserDb(root).passwd).toHaveLength(1);
      });
    });
  });
});

describe("property: random bytes as /etc/passwd and /etc/group", () => {
  const { CASES, bytes, pieces, rng } = require("../support/random.ts") as typeof import("../support/random.ts");
  const P = ["root", ":", "x", "0", "00", "1000", "-1", "+", "#", "\n", " ", "\xff", "\xc2\xa0", "", "2147483648", "/bin/sh", ","];

  test(`${CASES} files: no exception, ids in range, uid/gid 0 only from a field that says exactly 0`, () => {
    const next = rng(13);
    for (let i = 0; i < CASES; i++) {
      const text = next() < 0.5 ? bytes(next, 120) : pieces(next, P, 30);
      for (const e of parsePasswd(text)) {
        for (const id of [e.uid, e.gid]) expect(Number.isInteger(id) && id >= 0 && id <= 2 ** 31 - 1).toBe(true);
        const line = text.split("\n").find((l) => l.includes(e.name) && l.includes(`:${e.uid}:`))!;
        expect(line).toBeDefined();
      }
      for (const g of parseGroup(text)) expect(g.gid >= 0 && g.gid <= 2 ** 31 - 1).toBe(true);
    }
  });
});
