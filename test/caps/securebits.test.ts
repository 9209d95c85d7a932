// --securebits in setpriv's syntax, and a property over random edit lists.
import { describe, expect, test } from "bun:test";
import { applySecurebitEdits, decodeSecurebits, SecurebitsSpecError } from "../../src/caps/securebits.ts";
import { CASES, pieces, rng } from "../support/random.ts";

describe("securebits edits", () => {
  test.each([
    ["+noroot,+noroot_locked", 0, 0x3],
    ["+keep_caps", 0, 0x10],
    ["-keep_caps", 0x10, 0],
    ["+NoRoot", 0, 0x1],
    ["+exec_deny_interactive_locked", 0, 0x800],
  ])("%p on 0x%s", (text, start, want) => {
    expect(applySecurebitEdits(start, text)).toBe(want);
  });

  test.each([
    ["noroot", "needs a + or -"],
    ["+nope", 'unknown flag "nope"'],
    ["", "empty securebits list"],
    ["+noroot,", "empty item"],
  ])("%p is refused: %s", (text, message) => {
    expect(() => applySecurebitEdits(0, text)).toThrow(message);
  });

  test("decoding names each flag and its lock", () => {
    expect(decodeSecurebits(0x3).noroot).toEqual({ set: true, locked: true });
  });
});

describe("property: random securebits edits", () => {
  test(`${CASES} texts: bits within the six flags and their locks, or a one-line SecurebitsSpecError`, () => {
    const next = rng(5);
    const P = ["+", "-", ",", "noroot", "_locked", "keep_caps", "no_setuid_fixup", "x", "\n", " ", "exec_restrict_file"];
    for (let i = 0; i < CASES; i++) {
      const text = pieces(next, P, 6);
      try {
        expect(applySecurebitEdits(Math.floor(next() * 0x1000), text) & ~0xfff).toBe(0);
      } catch (e) {
        if (!(e instanceof SecurebitsSpecError)) throw e;
        expect(e.message).not.toContain("\n");
      }
    }
  });
});
