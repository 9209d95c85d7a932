// gosu mode side by side with Debian's gosu 1.14: the same table of user specs and commands run
// through both (each as a program named "gosu" found in PATH), comparing stdout, the stderr
// shape and the exit code. Deliberate differences are listed and asserted on their own.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTools } from "../support/privileged.ts";
import { run, SBX, statusFields } from "../support/sbx.ts";

requireTools("gosu");

const tmp = mkdtempSync(join(tmpdir(), "sbx-gosu-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ours = join(tmp, "sbx");
const theirs = join(tmp, "real");
mkdirSync(ours);
mkdirSync(theirs);
symlinkSync(SBX, join(ours, "gosu"));
symlinkSync(run(["sh", "-c", "command -v gosu"]).stdout.trim(), join(theirs, "gosu"));

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
function gosu(which: string, args: string[], env: Record<string, string> = {}) {
  return run(["gosu", ...args], { env: { PATH: `${which}:${BASE_PATH}`, ...env } });
}

/** The version words differ by design ("go1.19.8 … gc" vs "sbx … bun"); everything else must match. */
const normalise = (s: string) =>
  s.replace(/^(gosu version: 1\.14|1\.14) \(.*\)$/gm, "$1 (…)").replaceAll(ours, "DIR").replaceAll(theirs, "DIR");

describe("gosu mode = gosu 1.14", () => {
  test.each([
    [[]],
    [["--help"]],
    [["-h", "x"]],
    [["--version"]],
    [["nobody"]],
    [["nobody", "id"]],
    [["nobody:nogroup", "id"]],
    [["nobody:root", "id"]],
    [["0:0", "id"]],
    [["root", "id", "-G"]],
    [["65534:65534", "sh", "-c", "echo $HOME; echo $0"]],
    [["bogus", "true"]],
    [["0:bogus", "true"]],
    [["-1", "true"]],
    [["nobody", "no-such-command"]],
    [["nobody", "/no/such/path"]],
    [["nobody", "/etc/passwd"]],
    [["nobody", "sh", "-c", "exit 42"]],
    [["nobody", "--help"]],
    [["nobody", "env"]],
  ])("%j", (args) => {
    const a = gosu(ours, args, { KEEP: "x" });
    const b = gosu(theirs, args, { KEEP: "x" });
    expect({ code: a.code, stdout: normalise(a.stdout), stderr: normalise(a.stderr) }).toEqual({
      code: b.code,
      stdout: normalise(b.stdout),
      stderr: normalise(b.stderr),
    });
  });
});

describe("gosu mode: deliberate differences and additions", () => {
  test("an empty user part is refused (gosu keeps the current user: root)", () => {
    for (const spec of ["", ":0", ":"]) {
      const r = gosu(ours, [spec, "id", "-u"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^error: failed switching to ".*": .*empty/);
    }
  });

  test("no runtime fds and no ignored signals reach the workload; no capability changes by default", () => {
    // ls -m, not ls | tr: a pipeline's pipe would be open in the shell while ls reads its fds.
    const script = `exec 5</etc/hostname; trap "" INT; exec gosu nobody sh -c 'cat /proc/self/status; printf "fds "; ls -m /proc/$$/fd; :'`;
    const r = run(["bash", "-c", script], { env: { PATH: `${ours}:${BASE_PATH}` } });
    expect(r.code).toBe(0);
    const st = statusFields(r.stdout);
    expect(st.SigIgn).toBe("0000000000000000");
    expect(r.stdout).toMatch(/fds 0, 1, 2\n$/);
    expect(st.Uid).toBe("65534\t65534\t65534\t65534");
    expect(st.CapBnd).toBe(run(["sh", "-c", "grep CapBnd /proc/self/status"]).stdout.split("\t")[1]!.trim());
    expect(st.NoNewPrivs).toBe("0");
  });

  test("SBX_* asks for more, and is stripped from the workload's environment", () => {
    const r = gosu(ours, ["nobody", "sh", "-c", "grep -E 'CapBnd|NoNewPrivs' /proc/self/status; env | grep -c ^SBX_ || true"], {
      SBX_BOUNDING_SET: "-all",
      SBX_NO_NEW_PRIVS: "1",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("CapBnd:\t0000000000000000\nNoNewPrivs:\t1\n0\n");
  });

  test("SBX_SECCOMP installs the filter last, with no_new_privs, and is stripped from the environment", () => {
    const r = gosu(ours, ["nobody", "sh", "-c", "grep -E '^(Uid|NoNewPrivs|Seccomp):' /proc/self/status; env | grep -c ^SBX_ || true"], { SBX_SECCOMP: "default" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Uid:\t65534\t65534\t65534\t65534\nNoNewPrivs:\t1\nSeccomp:\t2\n0\n");
  });

  test("SBX_SECCOMP refusals: without no_new_privs, or a profile that names nothing; exit 1, nothing runs", () => {
    const noNnp = gosu(ours, ["nobody", "echo", "ran"], { SBX_SECCOMP: "default", SBX_NO_NEW_PRIVS: "0" });
    expect([noNnp.code, noNnp.stdout]).toEqual([1, ""]);
    expect(noNnp.stderr).toStartWith("error: SBX_SECCOMP without no_new_privs:");
    expect(noNnp.stderr).toContain("SBX_NO_NEW_PRIVS=1");
    const nope = gosu(ours, ["nobody", "echo", "ran"], { SBX_SECCOMP: "nope" });
    expect([nope.code, nope.stdout]).toEqual([1, ""]);
    expect(nope.stderr).toBe('error: SBX_SECCOMP: "nope" is neither a built-in profile (default, sandbox) nor a .json or .bpf file\n');
  });

  test("SBX_* failures follow sbx's fail-closed rules with exit 1", () => {
    const r = gosu(ours, ["nobody", "true"], { SBX_ALLOW_DEGRADED: "everything" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("valid: bounding, groups, nnp, seccomp");
    const typo = gosu(ours, ["nobody", "true"], { SBX_BOUNDNG_SET: "-all" });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('unknown "SBX_BOUNDNG_SET"');
  });
});
