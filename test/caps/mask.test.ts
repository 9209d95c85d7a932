import { describe, expect, test } from "bun:test";
import { capsOf, decodeLikeCapsh, fullMask, maskOf, names, parseHex, toHex } from "../../src/caps/mask.ts";

describe("capability masks", () => {
  test.each([
    ["0x000001ffffffffff", 0x1ffffffffffn],
    ["000001ffffffffff", 0x1ffffffffffn],
    ["1ff", 0x1ffn],
    ["0X0", 0n],
    ["ffffffffffffffff", 0xffffffffffffffffn],
  ])("parseHex(%p)", (text, mask) => {
    expect(parseHex(text)).toBe(mask);
  });

  test.each(["", "0x", "xyz", "1ffffffffffffffff", "-1", "0x1g", "1 2"])("parseHex(%p) is not a mask", (text) => {
    expect(parseHex(text)).toBeUndefined();
  });

  test("round trips through caps and hex", () => {
    for (const m of [0n, 1n, 0xa82c25fbn, 0x1ffffffffffn, 1n << 63n]) {
      expect(maskOf(capsOf(m))).toBe(m);
      expect(parseHex(toHex(m))).toBe(m);
    }
  });

  test("fullMask covers 0..lastCap", () => {
    expect(fullMask(40)).toBe(0x1ffffffffffn);
    expect(fullMask(0)).toBe(1n);
  });

  test("names and capsh's decode format", () => {
    expect(names(0x101n)).toEqual(["cap_chown", "cap_setpcap"]);
    expect(decodeLikeCapsh(0x30000000001n)).toBe("0x0000030000000001=cap_chown,cap_checkpoint_restore,41");
    expect(decodeLikeCapsh(0n)).toBe("0x0000000000000000=");
  });
});
