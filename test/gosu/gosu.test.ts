// gosu mode side by side with Debian's gosu 1.14: the same table of user specs and commands run
// through both (each as a program named "gosu" found in PATH), comparing stdout, the stderr
// shape and the exit code. Deliberate differences are listed and asserted on their own.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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
    // --help: gosu's text, then what sbx adds in gosu mode (its SBX_* variables).
    if (["--help", "-h"].includes(args[0] ?? "")) {
      expect(a.stdout).toContain("\nsbx in gosu mode:");
      expect(a.stdout).toContain("  SBX_BOUNDING_SET");
      a.stdout = a.stdout.slice(0, a.stdout.indexOf("sbx in gosu mode:"));
    }
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

describe("gosu mode = gosu 1.14, where sbx used to differ", () => {
  const both = (cmd: (gosu: string) => string[], env: Record<string, string> = {}) =>
    [ours, theirs].map((dir) => {
      const r = run(cmd(join(dir, "gosu")), { env: { PATH: `${dir}:${BASE_PATH}`, ...env } });
      return { code: r.code, stdout: normalise(r.stdout), stderr: normalise(r.stderr) };
    });

  test("usage names the basename of argv[0], invoked by full path too", () => {
    const [a, b] = both((g) => [g]);
    expect(a).toEqual(b!);
    expect(a!.stderr).toStartWith("Usage: gosu user-spec command [args]");
  });

  test("a non-root caller gets gosu's own line: operation not permitted", () => {
    const [a, b] = both((g) => ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", g, "root", "true"]);
    expect(a).toEqual(b!);
    expect(a!.stderr).toBe('error: failed switching to "root": operation not permitted\n');
  });

  test("bytes pass unchanged: an argument, a variable and a command path holding \\xff", () => {
    mkdirSync(join(tmp, "bytes"), { recursive: true, mode: 0o755 });
    chmodSync(tmp, 0o755);
    const script = `v=$(printf 'a\\377b'); cmd=$(printf '${tmp}/bytes/tool\\377'); printf '#!/bin/sh\\nprintf %%s "$1$V" | od -An -tx1\\n' > "$cmd"; chmod 755 "$cmd"; V="$v" exec gosu nobody "$cmd" "$v"`;
    const [a, b] = both(() => ["sh", "-c", script]);
    expect(a).toEqual(b!);
    expect(a!.stdout.trim()).toBe("61 ff 62 61 ff 62");
  });

  test("a variable given twice: the first counts, for the lookup and for the workload, as in Go", () => {
    // execve with a hand-made environment block: PATH twice, KEEP twice.
    const py = (g: string) => `import ctypes; libc = ctypes.CDLL(None); a = lambda xs: (ctypes.c_char_p * (len(xs) + 1))(*[x.encode() for x in xs], None); libc.execve(b"${g}", a(["gosu", "nobody", "sh", "-c", "env | grep -E '^(PATH|KEEP)='"]), a(["PATH=/usr/bin:/bin", "KEEP=first", "PATH=/nonexistent", "KEEP=second"]))`;
    const [a, b] = both((g) => ["/usr/bin/python3", "-c", py(g)]);
    expect(a).toEqual(b!);
    expect(a!.stdout.trim().split("\n").sort()).toEqual(["KEEP=first", "PATH=/usr/bin:/bin"]);
  });

  test("an SBX_* variable given twice is refused (which one was meant is not sbx's to guess)", () => {
    const py = `import ctypes; libc = ctypes.CDLL(None); a = lambda xs: (ctypes.c_char_p * (len(xs) + 1))(*[x.encode() for x in xs], None); libc.execve(b"${join(ours, "gosu")}", a(["gosu", "nobody", "true"]), a(["PATH=/usr/bin:/bin", "SBX_BOUNDING_SET=-all", "SBX_BOUNDING_SET=+all"]))`;
    const r = run(["/usr/bin/python3", "-c", py]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: "SBX_BOUNDING_SET" given more than once in the environment; set each SBX_* variable once\n');
  });

  describe("in a mount namespace with its own /etc/passwd", () => {
    const etc = join(tmp, "etc");
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, "passwd"), Buffer.concat([
      Buffer.from("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n"),
      Buffer.from("svc:x:4242:4242::/home/caf\xe9:/bin/sh\n", "latin1"),
      Buffer.from("svc:x:4242:0::/root:/bin/sh\nempty:x:4243:4243:::/bin/sh\n"),
    ]));
    writeFileSync(join(etc, "group"), "root:x:0:\nnogroup:x:65534:\n");
    const inNs = (g: string, ...args: string[]) => ["unshare", "-m", "--propagation", "private", "sh", "-c", `mount --bind ${etc}/passwd /etc/passwd && mount --bind ${etc}/group /etc/group && exec "$@"`, "sh", g, ...args];

    test.each(["svc", "4242"])("the first matching entry wins, whatever bytes its home holds (%s)", (spec) => {
      const [a, b] = both((g) => inNs(g, spec, "sh", "-c", 'id -g; printf %s "$HOME" | od -An -c'));
      expect(a).toEqual(b!);
      expect(a!.stdout).toStartWith("4242\n");
      expect(a!.stdout).toContain("c   a   f 351");
    });

    test("an empty home field gives HOME=\"\", as in gosu", () => {
      const [a, b] = both((g) => inNs(g, "empty", "sh", "-c", 'echo "[$HOME]"'));
      expect(a).toEqual(b!);
      expect(a!.stdout).toBe("[]\n");
    });

    test("a uid without an entry keeps the caller's gid, as gosu does (0 in an entrypoint)", () => {
      const [a, b] = both((g) => inNs(g, "5000", "id"));
      expect(a).toEqual(b!);
      expect(a!.stdout).toBe("uid=5000 gid=0(root) groups=0(root)\n");
    });
  });
});
