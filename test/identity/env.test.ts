import { describe, expect, test } from "bun:test";
import { Environment, RESET_PATH, workloadEnv } from "../../src/identity/env.ts";
import type { ResolvedUser } from "../../src/identity/resolve.ts";

const alice: ResolvedUser = {
  uid: 1001,
  gid: 1001,
  home: "/home/alice",
  shell: "/bin/ash",
  name: "alice",
  groups: [1001],
  groupsRule: "init",
};
const root: ResolvedUser = { uid: 0, gid: 0, home: "/root", shell: "/bin/sh", name: "root", groups: [0], groupsRule: "init" };
const bare: ResolvedUser = { uid: 4242, gid: 4242, home: "/", groups: [4242], groupsRule: "primary" };

const block = (...entries: string[]) => Environment.fromBlock(entries);
const CALLER = block("A=1", "HOME=/root", "PATH=/opt/bin:/usr/bin", "TERM=xterm-256color", "NO_COLOR=", "SECRET=s3cret");

describe("the environment block", () => {
  test("the first entry of a name counts, later ones are dropped (Go's and so gosu's rule, glibc getenv's)", () => {
    const env = block("PATH=/first", "A=1", "PATH=/second", "SBX_X=a", "SBX_X=b");
    expect(env.get("PATH")).toBe("/first");
    expect(env.toBlock()).toEqual(["PATH=/first", "A=1", "SBX_X=a"]);
    expect(Environment.duplicates(["PATH=/first", "A=1", "PATH=/second", "SBX_X=a", "SBX_X=b", "NOEQ", "NOEQ"])).toEqual(["PATH", "SBX_X"]);
  });

  test("entries are bytes, passed on unchanged; an entry without = passes through, as in Go", () => {
    const env = block("B=\xff\xfe", "NOEQ", "=empty-name", "C=a=b");
    expect(env.toBlock()).toEqual(["B=\xff\xfe", "NOEQ", "=empty-name", "C=a=b"]);
    expect(env.get("B")).toBe("\xff\xfe");
    expect(env.get("C")).toBe("a=b");
    expect(env.names()).toEqual(["B", "", "C"]);
  });

  test("set replaces in place or appends; delete removes", () => {
    expect(block("A=1", "B=2").set("A", "3").set("C", "4").delete("B").toBlock()).toEqual(["A=3", "C=4"]);
  });
});

describe("gosu's environment (default)", () => {
  test("everything is inherited; HOME is replaced and moves last, as gosu does", () => {
    expect(workloadEnv(CALLER, alice).toBlock()).toEqual(["A=1", "PATH=/opt/bin:/usr/bin", "TERM=xterm-256color", "NO_COLOR=", "SECRET=s3cret", "HOME=/home/alice"]);
  });

  test("HOME is set even when the caller had none, and is / for a uid without entry", () => {
    expect(workloadEnv(block("PATH=/bin"), bare).get("HOME")).toBe("/");
  });

  test("an existing HOME never survives (gosu unsets it before resolving), nor does a second one", () => {
    expect(workloadEnv(block("HOME=/omg/really/gosu/nowhere", "HOME=/again"), root).toBlock()).toEqual(["HOME=/root"]);
  });

  test("without a user the block passes through", () => {
    expect(workloadEnv(CALLER, null).toBlock()).toEqual(CALLER.toBlock());
  });
});

describe("--reset-env (setpriv's)", () => {
  test("keeps TERM, COLORTERM, NO_COLOR; sets SHELL, HOME, USER, LOGNAME, PATH in setpriv's order", () => {
    expect(workloadEnv(CALLER.set("COLORTERM", "truecolor"), alice, { resetEnv: true }).toBlock()).toEqual([
      "TERM=xterm-256color",
      "COLORTERM=truecolor",
      "NO_COLOR=",
      "SHELL=/bin/ash",
      "HOME=/home/alice",
      "USER=alice",
      "LOGNAME=alice",
      "PATH=/usr/local/bin:/bin:/usr/bin",
    ]);
  });

  test("root gets the root PATH", () => {
    expect(workloadEnv(block(), root, { resetEnv: true }).get("PATH")).toBe("/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin");
    expect(RESET_PATH.user).toBe("/usr/local/bin:/bin:/usr/bin");
  });

  test("a uid without entry: SHELL=/bin/sh, HOME=/, no USER/LOGNAME, user PATH", () => {
    expect(workloadEnv(CALLER, bare, { resetEnv: true }).toBlock()).toEqual(["TERM=xterm-256color", "NO_COLOR=", "SHELL=/bin/sh", "HOME=/", `PATH=${RESET_PATH.user}`]);
  });

  test("uid 0 without entry still gets the root PATH", () => {
    const bareRoot: ResolvedUser = { uid: 0, gid: 0, home: "/", groups: [0], groupsRule: "primary" };
    expect(workloadEnv(block(), bareRoot, { resetEnv: true }).get("PATH")).toBe(RESET_PATH.root);
  });
});

describe("--env K=V", () => {
  test("applied last, in order: they override HOME, PATH and inherited values", () => {
    const set = [["HOME", "/data"], ["PATH", "/app/bin"], ["A", "2"], ["NEW", "1"], ["A", "3"]] as const;
    expect(workloadEnv(block("A=1", "PATH=/usr/bin"), alice, { set }).toBlock()).toEqual(["A=3", "PATH=/app/bin", "HOME=/data", "NEW=1"]);
    expect(workloadEnv(block(), alice, { resetEnv: true, set }).get("PATH")).toBe("/app/bin");
  });
});

describe("property: random environment blocks", () => {
  const { CASES, pick, rng } = require("../support/random.ts") as typeof import("../support/random.ts");
  const ENTRIES = ["A=1", "A=2", "PATH=/bin", "PATH=/x", "=", "=x", "NOEQ", "B=\xff", "SBX_CAPS=all", "SBX_CAPS=", "HOME=/h"];

  test(`${CASES} blocks: each name once, the first value wins, nothing is changed`, () => {
    const next = rng(17);
    for (let i = 0; i < CASES; i++) {
      const raw = Array.from({ length: Math.floor(next() * 8) }, () => pick(next, ENTRIES));
      const env = Environment.fromBlock(raw);
      const names = env.names();
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(env.get(n)).toBe(raw.find((e) => e.startsWith(`${n}=`))!.slice(n.length + 1));
      for (const e of env.toBlock()) expect(raw).toContain(e);
      expect(Environment.duplicates(raw).every((n) => raw.filter((e) => e.startsWith(`${n}=`)).length > 1)).toBe(true);
    }
  });
});
