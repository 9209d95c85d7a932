import { describe, expect, test } from "bun:test";
import { capBit } from "../../src/caps/mask.ts";
import { checkAbsent, checkEmpty, parseSetNames } from "../../src/state/assertions.ts";
import type { ProcessState } from "../../src/state/types.ts";

const ids = { real: 0, effective: 0, saved: 0, fs: 0 };
const state = (caps: Partial<ProcessState["caps"]>): ProcessState => ({
  pid: 1, source: "syscalls", uid: ids, gid: ids, groups: [],
  caps: { inheritable: 0n, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n, ...caps },
  securebits: 0, noNewPrivs: false, seccompMode: 0, seccompFilters: 0,
});

describe("--absent", () => {
  test("names each cap still present and every set it is in", () => {
    const s = state({ bounding: capBit(21) | capBit(13), permitted: capBit(21) });
    expect(checkAbsent(s, capBit(21) | capBit(13) | capBit(19))).toEqual([
      "cap_net_raw is present in: bounding",
      "cap_sys_admin is present in: permitted, bounding",
    ]);
  });
  test("passes when none is present", () => {
    expect(checkAbsent(state({ bounding: capBit(10) }), capBit(21))).toEqual([]);
  });
});

describe("--empty", () => {
  test("names each non-empty set with hex and names", () => {
    const s = state({ bounding: capBit(8), ambient: 0n });
    expect(checkEmpty(s, ["bounding", "ambient"])).toEqual([
      "bounding set is not empty: 0000000000000100 (cap_setpcap)",
    ]);
  });
  test("set names: list, all, unknown", () => {
    expect(parseSetNames("bounding,Ambient")).toEqual(["bounding", "ambient"]);
    expect(parseSetNames("all")).toHaveLength(5);
    expect(parseSetNames("ambient,all")).toHaveLength(5);
    expect(() => parseSetNames("all,bnd")).toThrow(/unknown capability set "bnd"/);
    expect(() => parseSetNames("bounding,")).toThrow(/empty item in capability set list "bounding,"/);
    expect(() => parseSetNames("bounding,bnd")).toThrow(/unknown capability set "bnd" \(valid: inheritable, permitted, effective, bounding, ambient, all\)/);
  });
});
