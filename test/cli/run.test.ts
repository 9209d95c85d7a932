import { describe, expect, test } from "bun:test";
import { sbx } from "../support/sbx.ts";

describe("command line front", () => {
  test.each([
    [["bogus"], 'sbx: unknown command "bogus" (see sbx --help)\n'],
    [["caps", "--bogus"], 'sbx: unknown option "--bogus" for "sbx caps" (see sbx caps --help)\n'],
    [["caps", "--jsn=1"], 'sbx: unknown option "--jsn" for "sbx caps" (see sbx caps --help)\n'],
  ])("%p is refused with exit 2, never ignored", (args, stderr) => {
    const r = sbx(args);
    expect(r).toEqual({ code: 2, stdout: "", stderr });
  });

  test("a negative value before -- is refused with the way to pass it, not dropped", () => {
    const r = sbx(["seccomp", "check", "default", "personality", "-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('put negative values after -- (e.g. sbx seccomp check … -- -1)');
    expect(sbx(["seccomp", "check", "default", "personality", "--", "-1"]).stdout).toStartWith("ERRNO(1)");
  });

  test("help is plain text when stdout is not a terminal", () => {
    for (const args of [["--help"], [], ["caps", "--help"], ["caps", "-h"]]) {
      const r = sbx(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
      expect(r.stdout).not.toContain("\x1b[");
    }
  });

  test("a string option takes the next argument as its value", () => {
    expect(sbx(["caps", "--decode", "0x1"]).stdout).toBe("0x0000000000000001=cap_chown\n");
  });
});
