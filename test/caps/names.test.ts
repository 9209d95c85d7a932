import { describe, expect, test } from "bun:test";
import { CAP_NAMES, capName, capNumberOf, DANGEROUS_CAPS, TABLE_LAST_CAP } from "../../src/caps/names.ts";

describe("capability table", () => {
  test("runs through checkpoint_restore = 40", () => {
    expect(TABLE_LAST_CAP).toBe(40);
    expect(capNumberOf("checkpoint_restore")).toBe(40);
    expect(capNumberOf("sys_admin")).toBe(21);
    expect(capNumberOf("setpcap")).toBe(8);
  });

  test("every name maps back to its number", () => {
    CAP_NAMES.forEach((n, i) => {
      expect(capNumberOf(n)).toBe(i);
      expect(capName(i)).toBe(`cap_${n}`);
    });
  });

  test("caps above the table are named cap_N", () => {
    expect(capName(41)).toBe("cap_41");
    expect(capName(63)).toBe("cap_63");
  });

  test("the dangerous list holds only known names", () => {
    for (const d of DANGEROUS_CAPS) expect(capNumberOf(d)).toBeNumber();
  });
});
