import { describe, expect, test } from "bun:test";
import { EnvSpecError, parseEnvAssignment, RESET_PATH, toEnvp, workloadEnv } from "../../src/user/env.ts";
import type { ResolvedUser } from "../../src/user/resolve.ts";

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

const CALLER = {
  A: "1",
  HOME: "/root",
  PATH: "/opt/bin:/usr/bin",
  TERM: "xterm-256color",
  NO_COLOR: "",
  SECRET: "s3cret",
  UNSET: undefined,
};

describe("gosu's environment (default)", () => {
  test("everything is inherited; HOME is replaced and moves last, as gosu does", () => {
    expect(toEnvp(workloadEnv(CALLER, alice))).toEqual([
      "A=1",
      "PATH=/opt/bin:/usr/bin",
      "TERM=xterm-256color",
      "NO_COLOR=",
      "SECRET=s3cret",
      "HOME=/home/alice",
    ]);
  });

  test("HOME is set even when the caller had none, and is / for a uid without entry", () => {
    expect(workloadEnv({ PATH: "/bin" }, bare).get("HOME")).toBe("/");
  });

  test("an existing HOME never survives (gosu unsets it before resolving)", () => {
    expect(workloadEnv({ HOME: "/omg/really/gosu/nowhere" }, root).get("HOME")).toBe("/root");
  });
});

describe("--reset-env (setpriv's)", () => {
  test("keeps TERM, COLORTERM, NO_COLOR; sets SHELL, HOME, USER, LOGNAME, PATH in setpriv's order", () => {
    expect(toEnvp(workloadEnv({ ...CALLER, COLORTERM: "truecolor" }, alice, { resetEnv: true }))).toEqual([
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
    expect(workloadEnv({}, root, { resetEnv: true }).get("PATH")).toBe(
      "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
    );
    expect(RESET_PATH.user).toBe("/usr/local/bin:/bin:/usr/bin");
  });

  test("a uid without entry: SHELL=/bin/sh, HOME=/, no USER/LOGNAME, user PATH", () => {
    expect(Object.fromEntries(workloadEnv(CALLER, bare, { resetEnv: true }))).toEqual({
      TERM: "xterm-256color",
      NO_COLOR: "",
      SHELL: "/bin/sh",
      HOME: "/",
      PATH: RESET_PATH.user,
    });
  });

  test("uid 0 without entry still gets the root PATH", () => {
    const bareRoot: ResolvedUser = { uid: 0, gid: 0, home: "/", groups: [0], groupsRule: "primary" };
    expect(workloadEnv({}, bareRoot, { resetEnv: true }).get("PATH")).toBe(RESET_PATH.root);
  });
});

describe("--env K=V", () => {
  test.each([
    ["A=1", { name: "A", value: "1" }],
    ["A=", { name: "A", value: "" }],
    ["A==b=c", { name: "A", value: "=b=c" }],
    ["lower.case-name=x y", { name: "lower.case-name", value: "x y" }],
  ])("parse %p", (text, expected) => {
    expect(parseEnvAssignment(text)).toEqual(expected);
  });

  test.each([
    ["", `env "": expected NAME=VALUE`],
    ["A", `env "A": expected NAME=VALUE`],
    ["=x", `env "=x": the name is empty`],
    ["=", `env "=": the name is empty`],
  ])("refuse %p", (text, message) => {
    expect(() => parseEnvAssignment(text)).toThrow(new EnvSpecError(message));
  });

  test("applied last, in order: they override HOME, PATH and inherited values", () => {
    const set = ["HOME=/data", "PATH=/app/bin", "A=2", "NEW=1", "A=3"].map(parseEnvAssignment);
    expect(toEnvp(workloadEnv({ A: "1", PATH: "/usr/bin" }, alice, { set }))).toEqual([
      "A=3",
      "PATH=/app/bin",
      "HOME=/data",
      "NEW=1",
    ]);
    expect(workloadEnv({}, alice, { resetEnv: true, set }).get("PATH")).toBe("/app/bin");
  });
});
