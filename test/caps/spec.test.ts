import { describe, expect, test } from "bun:test";
import { capBit, fullMask } from "../../src/caps/mask.ts";
import { applyCapEdits, CapSpecError, parseCap, parseCapList } from "../../src/caps/spec.ts";
import { CASES, pieces, rng } from "../support/random.ts";

const LAST = 40;

describe("parseCap", () => {
  test.each([
    ["cap_sys_admin", 21],
    ["CAP_SYS_ADMIN", 21],
    ["sys_admin", 21],
    ["Sys_Admin", 21],
    ["21", 21],
    ["0", 0],
    ["cap_40", 40],
    [" net_raw ", 13],
  ])("%p → %p", (tok, n) => {
    expect(parseCap(tok, LAST)).toBe(n);
  });

  test("a cap above the table but at or below the kernel's last is accepted as cap_N", () => {
    expect(parseCap("cap_42", 42)).toBe(42);
    expect(parseCap("42", 42)).toBe(42);
  });

  test.each([
    ["sys_admn", /unknown capability "sys_admn"/],
    ["cap_", /unknown capability/],
    ["", /unknown capability/],
    ["41", /not supported by this kernel \(last cap is 40\)/],
    ["cap_99", /not supported/],
    ["-1", /unknown/],
    ["1e1", /unknown/],
  ])("%p is an error naming the offender", (tok, msg) => {
    expect(() => parseCap(tok, LAST)).toThrow(CapSpecError);
    expect(() => parseCap(tok, LAST)).toThrow(msg);
  });
});

describe("parseCapList", () => {
  test("names and all", () => {
    expect(parseCapList("sys_admin,net_raw", LAST)).toBe(capBit(21) | capBit(13));
    expect(parseCapList("all", LAST)).toBe(fullMask(LAST));
    expect(parseCapList("all", 43)).toBe(fullMask(43));
    expect(parseCapList("", LAST)).toBe(0n);
  });

  test("an empty item is an error", () => {
    expect(() => parseCapList("sys_admin,,net_raw", LAST)).toThrow(/empty item/);
  });
});

describe("applyCapEdits (setpriv syntax)", () => {
  const all = fullMask(LAST);
  test.each([
    ["-all", all, 0n],
    ["-all,+net_bind_service", all, capBit(10)],
    ["-sys_admin,-net_raw", all, all & ~capBit(21) & ~capBit(13)],
    ["+all", 0n, all],
    ["+net_raw,-all", 0n, 0n],
    ["-setpcap,-chown", capBit(8) | capBit(0) | capBit(1), capBit(1)],
  ])("%p applied to %p", (spec, start, want) => {
    expect(applyCapEdits(start, spec, LAST)).toBe(want);
  });

  test.each([
    ["net_raw", /needs a \+ or -/],
    ["", /empty capability list/],
    ["-bogus", /unknown capability "bogus"/],
    ["-all,", /empty item/],
  ])("%p is rejected", (spec, msg) => {
    expect(() => applyCapEdits(all, spec, LAST)).toThrow(msg);
  });
});

describe("property: random capability lists and edits", () => {
  const PIECES = ["+", "-", ",", "all", "net_raw", "cap_", "CAP_SYS_ADMIN", "40", "41", "63", "99", " ", "\n", "chown", "x", "0"];

  test(`${CASES} texts: a mask within the kernel's caps, or a one-line CapSpecError`, () => {
    const next = rng(3);
    for (let i = 0; i < CASES; i++) {
      const text = pieces(next, PIECES, 6);
      for (const parse of [() => parseCapList(text, LAST), () => applyCapEdits(fullMask(LAST), text, LAST), () => applyCapEdits(0n, text, LAST)]) {
        try {
          const m = parse();
          expect(m & ~fullMask(LAST)).toBe(0n);
        } catch (e) {
          if (!(e instanceof CapSpecError)) throw e;
          expect(e.message).not.toContain("\n");
        }
      }
    }
  });
});
