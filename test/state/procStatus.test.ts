import { describe, expect, test } from "bun:test";
import { parseProcStatus, StatusParseError } from "../../src/state/procStatus.ts";

const STATUS = `Name:\tsleep
Uid:\t1000\t1001\t1002\t1003
Gid:\t2000\t2001\t2002\t2003
Groups:\t4 27 100
NoNewPrivs:\t1
Seccomp:\t2
Seccomp_filters:\t3
CapInh:\t0000000000000000
CapPrm:\t0000000000000400
CapEff:\t0000000000000400
CapBnd:\t00000000a82c25fb
CapAmb:\t0000000000000400
`;

describe("parseProcStatus", () => {
  test("reads ids, groups, the five sets, NNP and seccomp", () => {
    const s = parseProcStatus(STATUS, 42);
    expect(s.pid).toBe(42);
    expect(s.source).toBe("procfs");
    expect(s.uid).toEqual({ real: 1000, effective: 1001, saved: 1002, fs: 1003 });
    expect(s.gid).toEqual({ real: 2000, effective: 2001, saved: 2002, fs: 2003 });
    expect(s.groups).toEqual([4, 27, 100]);
    expect(s.caps.bounding).toBe(0xa82c25fbn);
    expect(s.caps.ambient).toBe(0x400n);
    expect(s.noNewPrivs).toBe(true);
    expect(s.seccompMode).toBe(2);
    expect(s.seccompFilters).toBe(3);
    expect(s.securebits).toBeNull();
  });

  test("empty Groups and missing Seccomp_filters", () => {
    const s = parseProcStatus(STATUS.replace("Groups:\t4 27 100", "Groups:\t").replace(/Seccomp_filters.*\n/, ""), 1);
    expect(s.groups).toEqual([]);
    expect(s.seccompFilters).toBeNull();
  });

  test.each([
    ["a missing CapBnd line", STATUS.replace(/CapBnd.*\n/, ""), /no "CapBnd:" line/],
    ["a malformed mask", STATUS.replace("00000000a82c25fb", "zz"), /"CapBnd:" is not a hex mask/],
    ["an empty mask", STATUS.replace("00000000a82c25fb", ""), /"CapBnd:" is not a hex mask/],
    ["three uid columns", STATUS.replace("1000\t1001\t1002\t1003", "1000\t1001\t1002"), /"Uid:" is not four ids/],
  ])("%s is an error, never a clean state", (_what, text, msg) => {
    expect(() => parseProcStatus(text, 1)).toThrow(StatusParseError);
    expect(() => parseProcStatus(text, 1)).toThrow(msg);
  });
});
