import { describe, expect, test } from "bun:test";
import { IdentityError, type IdentityProblem } from "../../src/identity/errors.ts";
import { parseUserSpec, type UserSpec } from "../../src/identity/spec.ts";
import { fromText } from "../../src/text/bytes.ts";

const id = (n: number) => ({ kind: "id", id: n }) as const;
const name = (s: string) => ({ kind: "name", name: s }) as const;

function errorOf(text: string): IdentityError {
  try {
    parseUserSpec(text);
  } catch (e) {
    if (e instanceof IdentityError) return e;
    throw e;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

describe("parseUserSpec: accepted forms", () => {
  test.each<[string, Omit<UserSpec, "text">]>([
    ["0", { user: id(0) }],
    ["root", { user: name("root") }],
    ["0:0", { user: id(0), group: id(0) }],
    ["0:root", { user: id(0), group: name("root") }],
    ["1000", { user: id(1000) }],
    ["1000:daemon", { user: id(1000), group: name("daemon") }],
    ["games", { user: name("games") }],
    // An empty group part means "no group given", as in gosu.
    ["0:", { user: id(0) }],
    ["alice:", { user: name("alice") }],
    ["2147483647:2147483647", { user: id(2147483647), group: id(2147483647) }],
    // Not numbers, so names; they fail later unless such an entry exists (as in gosu).
    ["0day", { user: name("0day") }],
    ["0:0day", { user: id(0), group: name("0day") }],
    ["0x0", { user: name("0x0") }],
    ["1e3", { user: name("1e3") }],
    [" 0", { user: name(" 0") }],
    ["0 ", { user: name("0 ") }],
    ["root\n", { user: name("root\n") }],
    ["-", { user: name("-") }],
    ["+", { user: name("+") }],
    ["１０００", { user: name("１０００") }],
  ])("%p", (text, expected) => {
    expect(parseUserSpec(text)).toEqual({ text, ...expected });
  });
});

describe("parseUserSpec: refused forms", () => {
  test.each<[string, IdentityProblem, string]>([
    ["", "empty-user", "gosu: current user (root)"],
    [":", "empty-user", "gosu: current user"],
    ["::", "empty-user", "gosu 1.14: current user; newer gosu: unknown group ':'"],
    [":0", "empty-user", "gosu: current user with gid 0"],
    [":root", "empty-user", "gosu: current user with gid 0"],
    ["-1", "out-of-range", "gosu: range error"],
    ["-0", "not-canonical", "gosu: root"],
    ["+0", "not-canonical", "gosu: root"],
    ["+1000", "not-canonical", "gosu: uid 1000"],
    ["00", "not-canonical", "gosu: root"],
    ["01000", "not-canonical", "gosu: uid 1000"],
    ["0:00", "not-canonical", "gosu: gid 0"],
    ["0:+0", "not-canonical", "gosu: gid 0"],
    ["4294967295", "out-of-range", "gosu: range error"],
    ["4294967294", "out-of-range", "gosu: range error"],
    ["2147483648", "out-of-range", "gosu: range error"],
    ["65536:-1", "out-of-range", "gosu: range error"],
    ["0:2147483648", "out-of-range", "gosu: range error"],
    ["99999999999999999999", "out-of-range", "gosu 1.14: unknown user; newer: range error"],
    ["-99999999999999999999", "out-of-range", "gosu 1.14: unknown user; newer: range error"],
    ["0:0:0", "extra-colon", "gosu 1.14: root; newer: unknown group '0:0'"],
    ["root:root:x", "extra-colon", "gosu 1.14: root"],
    ["a".repeat(256), "name-too-long", "gosu: unknown user"],
    [`0:${"g".repeat(256)}`, "name-too-long", "gosu: unknown group"],
    [fromText("é".repeat(128)), "name-too-long", "256 bytes in UTF-8"],
  ])("%p → %s (%s)", (text, problem) => {
    expect(errorOf(text).problem).toBe(problem);
  });

  test("a 255-byte name is still a name", () => {
    expect(parseUserSpec("a".repeat(255)).user).toEqual(name("a".repeat(255)));
  });
});

describe("parseUserSpec: messages are one line naming the input and the cause", () => {
  test.each([
    ["", `user spec "": the user part is empty (gosu would keep the current user, usually root); name a user or uid`],
    [":0", `user spec ":0": the user part is empty (gosu would keep the current user, usually root); name a user or uid`],
    ["-1", `user spec "-1": user id "-1" is outside 0-2147483647`],
    ["65536:-1", `user spec "65536:-1": group id "-1" is outside 0-2147483647`],
    ["+0", `user spec "+0": user id "+0" must be written plainly (no sign, no leading zeros)`],
    ["0:0:0", `user spec "0:0:0": more than one ':' (expected USER[:GROUP])`],
  ])("%p", (text, message) => {
    expect(() => parseUserSpec(text)).toThrow(message);
  });

  test("control characters are escaped and long input is cut", () => {
    const message = errorOf(`\u001b[31m:${"x".repeat(300)}\n:`).message;
    expect(message).not.toMatch(/[\u0000-\u001f]/);
    expect(message).toStartWith(`user spec "\\u001b[31m:xxx`);
    expect(message).toContain("…(308 chars)");
    expect(message.length).toBeLessThan(200);
  });
});
