// Hostile and real-world inputs, end to end: sbx reaches exactly the state it reports, or refuses
// with one line and a documented code before the workload runs. One block per class of defect.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, SBX, sbx } from "../support/sbx.ts";

const dir = mkdtempSync(join(tmpdir(), "sbx-hostile-"));
chmodSync(dir, 0o1777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const fresh = (name: string) => join(dir, `${name}-${seq++}`);
const GOSU = join(dir, "gosu");
symlinkSync(SBX, GOSU);
const oneLine = (s: string) => s.trim().split("\n").length === 1 && !s.includes("\x1b");

describe("1. the command line is unambiguous, and only sbx's own words are read", () => {
  test.each([
    [["exec", "--user", "nobody", "--user", "root", "--", "touch"], 200, "sbx exec: usage: --user is given more than once\n"],
    [["exec", "-u", "nobody", "--user=root", "--", "touch"], 200, "sbx exec: usage: --user is given more than once\n"],
    [["exec", "--seccomp", "default", "--seccomp", "sandbox", "--", "touch"], 200, "sbx exec: usage: --seccomp is given more than once\n"],
    [["--bogus", "exec", "--user", "nobody", "--", "touch"], 2, 'sbx: unknown option "--bogus" for "sbx" (see sbx --help)\n'],
    [["exec", "--user", "nobody", "--bogus", "--", "touch"], 200, 'sbx exec: usage: unknown option "--bogus" for "sbx exec" (see sbx exec --help)\n'],
    [["caps", "--json", "--json"], 2, "sbx: --json is given more than once\n"],
    [["caps", "--pid", "1", "--pid", "2"], 2, "sbx: --pid is given more than once\n"],
    [["seccomp", "compile", "default", "-o", "a", "--output", "b"], 2, "sbx: --output is given more than once\n"],
    [["doctor", "extra"], 2, 'sbx: sbx doctor: unexpected argument "extra" (see sbx doctor --help)\n'],
  ])("%j → %d", (args, code, stderr) => {
    const m = fresh("ran");
    const r = sbx([...args, ...(args.includes("touch") ? [m] : [])]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr });
    expect(existsSync(m)).toBe(false);
  });

  test("words after -- (or after the first non-option) are the workload's, never sbx's", () => {
    expect(sbx(["exec", "--user", "nobody", "--", "echo", "--user", "root", "--dry-run"]).stdout).toBe("--user root --dry-run\n");
    expect(sbx(["exec", "--user", "nobody", "echo", "--user=root"]).stdout).toBe("--user=root\n");
    expect(sbx(["exec", "--user", "nobody", "sh", "-c", "id -u", "--help"]).stdout).toBe("65534\n");
  });

  test("OCSF output is decided by sbx's own --log-format only, even when parsing fails", () => {
    const findings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("{")).length;
    expect(findings(sbx(["exec", "--user", "nobody", "--bogus", "--", "echo", "ocsf"]).stderr)).toBe(0);
    expect(findings(sbx(["exec", "--user", "", "--", "sh", "-c", "echo --log-format ocsf"]).stderr)).toBe(0);
    expect(findings(sbx(["exec", "--log-format", "ocsf", "--bogus", "--", "echo"]).stderr)).toBe(1);
    expect(findings(sbx(["exec", "--log-format=ocsf", "--user", "bogus", "--", "echo"]).stderr)).toBe(1);
  });
});

describe("4. nothing sbx writes as root can be redirected by the workload", () => {
  /** A directory owned by the workload user, where it could have planted anything. */
  const planted = () => {
    const d = fresh("workload-dir");
    mkdirSync(d);
    chownSync(d, 65534, 65534);
    return d;
  };

  test("--report through a planted symlink: refused (203), the link's target untouched", () => {
    const d = planted();
    const victim = fresh("victim");
    writeFileSync(victim, "root's file\n");
    symlinkSync(victim, join(d, "report.json"));
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--report", join(d, "report.json"), "--", "touch", m]);
    expect(r.code).toBe(203);
    expect(r.stderr).toBe(`sbx exec: report: cannot open --report "${d}/report.json": "${d}/report.json" is a symbolic link; sbx writes no file through a link\n`);
    expect(readFileSync(victim, "utf8")).toBe("root's file\n");
    expect(existsSync(m)).toBe(false);
  });

  test("--report through a symlinked directory: refused, no file created at the link's target", () => {
    const d = planted();
    const elsewhere = fresh("elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(d, "sub"));
    const r = sbx(["exec", "--user", "nobody", "--report", join(d, "sub", "r.json"), "--", "true"]);
    expect(r.code).toBe(203);
    expect(r.stderr).toContain(`"${d}/sub" is a symbolic link`);
    expect(existsSync(join(elsewhere, "r.json"))).toBe(false);
  });

  test("--report on a planted FIFO: refused at once, never blocking (with or without a reader)", () => {
    const d = planted();
    const fifo = join(d, "report.json");
    expect(run(["mkfifo", fifo]).code).toBe(0);
    const r = run(["timeout", "10", SBX, "exec", "--user", "nobody", "--report", fifo, "--", "true"]);
    expect(r.code).toBe(203);
    expect(r.stderr).toContain("is a FIFO with no reader");
    const reader = Bun.spawn(["sh", "-c", `exec 3<>${fifo}; sleep 5`]);
    try {
      Bun.sleepSync(100);
      const withReader = run(["timeout", "10", SBX, "exec", "--user", "nobody", "--report", fifo, "--", "true"]);
      expect(withReader.code).toBe(203);
      expect(withReader.stderr).toContain("exists and is not a regular file");
    } finally {
      reader.kill();
    }
  });

  test("--report: an existing regular file is replaced only if sbx's uid owns it and it has one link", () => {
    const d = planted();
    const mine = join(d, "mine.json");
    writeFileSync(mine, "x".repeat(10000));
    expect(sbx(["exec", "--user", "nobody", "--report", mine, "--", "true"]).code).toBe(0);
    expect(JSON.parse(readFileSync(mine, "utf8")).schema).toBe("sbx.exec-report/2");
    const theirs = join(d, "theirs.json");
    writeFileSync(theirs, "");
    chownSync(theirs, 65534, 65534);
    expect(sbx(["exec", "--user", "nobody", "--report", theirs, "--", "true"]).stderr).toContain("is owned by uid 65534, not 0");
    const victim = fresh("victim");
    writeFileSync(victim, "root's file\n");
    linkSync(victim, join(d, "hard.json"));
    const hard = sbx(["exec", "--user", "nobody", "--report", join(d, "hard.json"), "--", "true"]);
    expect(hard.code).toBe(203);
    expect(hard.stderr).toContain("with 2 hard links");
    expect(readFileSync(victim, "utf8")).toBe("root's file\n");
    expect(sbx(["exec", "--user", "nobody", "--report", "/dev/null", "--", "true"]).stderr).toContain("exists and is not a regular file");
  });

  test("a fresh report is created 0600", () => {
    const file = fresh("report");
    expect(sbx(["exec", "--user", "nobody", "--report", file, "--", "true"]).code).toBe(0);
    expect(Bun.spawnSync(["stat", "-c", "%a %u", file]).stdout.toString()).toBe("600 0\n");
  });

  test.each([
    ["a planted symlink", (d: string) => symlinkSync(fresh("victim"), join(d, "out.bpf")), "is a symbolic link"],
    ["a FIFO", (d: string) => run(["mkfifo", join(d, "out.bpf")]), "is a FIFO with no reader"],
    ["a directory", (d: string) => mkdirSync(join(d, "out.bpf")), "cannot open"],
  ])("sbx seccomp compile -o onto %s: one line, exit 4, nothing written", (_what, plant, text) => {
    const d = planted();
    plant(d);
    const r = run(["timeout", "10", SBX, "seccomp", "compile", "default", "-o", join(d, "out.bpf")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(text);
    expect(oneLine(r.stderr)).toBe(true);
  });

  test("-o into a directory that does not exist: one line, exit 4", () => {
    const r = sbx(["seccomp", "compile", "default", "-o", join(dir, "no", "such", "out.bpf")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^sbx: -o: ".*\/no": ENOENT\n$/);
  });

  test.each([
    [["caps"], 4],
    [["caps", "--json"], 4],
    [["doctor"], 4],
    [["--version"], 4],
    [["--help"], 4],
    [["seccomp", "list"], 4],
    [["seccomp", "compile", "default"], 4],
    [["exec", "--user", "nobody", "--dry-run", "--", "true"], 203],
  ])("stdout is /dev/full: %j is one line and exit %d, not a stack trace", (args, code) => {
    const r = run(["sh", "-c", `exec "$@" > /dev/full`, "sh", SBX, ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(/cannot write the (output|plan): write\(fd 1\): ENOSPC\n$/);
    expect(oneLine(r.stderr)).toBe(true);
  });

  test("gosu mode's --help and --version into /dev/full: exit 1", () => {
    for (const a of ["--help", "--version"]) expect(run(["sh", "-c", `exec "$@" > /dev/full`, "sh", GOSU, a]).code).toBe(1);
  });
});

describe("5. only the caller's fds reach the workload", () => {
  // ls without a pipe: a pipeline's pipe would be open in this shell while ls reads its fds.
  const FDS = "ls -l /proc/$$/fd";
  const passed = (n: number) => Array.from({ length: n }, (_, i) => `exec ${3 + i}<${i % 2 ? "/etc/hostname" : "/etc/passwd"}`).join("; ");

  test.each([1, 2, 5])("--preserve-fds %d: exactly fds 0-2 and the %d passed, each still the caller's file", (n) => {
    const r = run(["sh", "-c", `${passed(n)}; exec 9</etc/group; exec ${SBX} exec --preserve-fds ${n} --user nobody -- sh -c '${FDS}'`]);
    expect(r.stderr).toBe("");
    const fds = Object.fromEntries([...r.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(fds).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, ...Array.from({ length: n }, (_, i) => 3 + i)]);
    for (let i = 0; i < n; i++) expect(fds[String(3 + i)]).toBe(i % 2 ? "/etc/hostname" : "/etc/passwd");
  });

  test("--preserve-fds larger than what was passed: refused (204), naming the fd, instead of handing on the runtime's own", () => {
    const m = fresh("ran");
    const r = run(["sh", "-c", `exec 3</etc/passwd; exec ${SBX} exec --preserve-fds 20 --user nobody -- touch ${m}`]);
    expect(r.code).toBe(204);
    expect(r.stderr).toMatch(/^sbx exec: fds: --preserve-fds 20 keeps fds 3-22, but fd \d+ is (not open|anon_inode:\[event(poll|fd)\], which sbx's runtime opened itself)/);
    expect(existsSync(m)).toBe(false);
  });

  test("LISTEN_FDS larger than what was passed: refused the same way", () => {
    const m = fresh("ran");
    const r = run(["sh", "-c", `exec 3</etc/passwd; export LISTEN_PID=$$ LISTEN_FDS=3; exec ${SBX} exec --user nobody -- touch ${m}`]);
    expect(r.code).toBe(204);
    expect(r.stderr).toContain("LISTEN_FDS=3 keeps fds 3-5, but fd 4");
    expect(existsSync(m)).toBe(false);
  });

  test("gosu mode closes inherited fds (gosu passes them on), keeps SBX_PRESERVE_FDS and LISTEN_FDS, and checks them alike", () => {
    const ls = "ls -m /proc/$$/fd";
    expect(run(["sh", "-c", `exec 3</etc/passwd 4</etc/passwd; exec ${GOSU} nobody sh -c '${ls}'`]).stdout).toBe("0, 1, 2\n");
    expect(run(["sh", "-c", `exec 3</etc/passwd 4</etc/passwd 5</etc/passwd; SBX_PRESERVE_FDS=2 exec ${GOSU} nobody sh -c '${ls}'`]).stdout).toBe("0, 1, 2, 3, 4\n");
    expect(run(["sh", "-c", `exec 3</etc/passwd 4</etc/passwd; export LISTEN_PID=$$ LISTEN_FDS=1; exec ${GOSU} nobody sh -c '${ls}'`]).stdout).toBe("0, 1, 2, 3\n");
    const refused = run(["sh", "-c", `exec 3</etc/passwd; SBX_PRESERVE_FDS=9 exec ${GOSU} nobody true`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: SBX_PRESERVE_FDS=9 keeps fds 3-11, but fd/);
  });
});

describe("8. values never forge output", () => {
  const EVIL = "x\nsbx exec: forged line\x1b[31m";
  test.each([
    ["--user"], ["--groups"], ["--workdir"], ["--caps"], ["--bounding-set"], ["--inh-caps"], ["--ambient-caps"], ["--pdeathsig"],
    ["--securebits"], ["--seccomp"], ["--report"], ["--env"], ["--allow-degraded"], ["--log-format"], ["--preserve-fds"], ["--report-fd"],
  ])("%s with a newline and an ANSI escape: one line, escaped", (option) => {
    const user = option === "--user" ? [] : ["--user", "nobody"];
    // A path that cannot be created, so the report's value is refused too (and nothing lands in the checkout).
    const value = option === "--report" || option === "--workdir" ? `/nonexistent/${EVIL}` : EVIL;
    const r = sbx(["exec", ...user, option, value, "--", "true"], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).not.toContain("\nsbx exec: forged");
  });

  test("a command name, a caps list inside a conflict, an SBX_* value: escaped too", () => {
    for (const r of [
      sbx(["exec", "--user", "nobody", "--", EVIL]),
      sbx(["exec", "--user", "nobody", "--caps", `net_raw`, "--bounding-set", `-net_raw`, "--", "true"]),
      run([GOSU, "nobody", "true"], { env: { PATH: "/usr/bin:/bin", SBX_CAPS: EVIL } }),
      run([GOSU, "nobody", "true"], { env: { PATH: "/usr/bin:/bin", [`SBX_${EVIL}`]: "1" } }),
      run([GOSU, EVIL, "true"]),
    ]) {
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)).toBe(true);
    }
  });
});


describe("6. identity rules a drop-in can be trusted with", () => {
  test("a numeric uid without a passwd entry and without a group: refused, offering UID:UID or UID:0", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "4242", "--", "touch", m]);
    expect(r).toMatchObject({ code: 200, stderr: 'sbx exec: usage: user spec "4242": uid 4242 has no entry in /etc/passwd, so it has no group of its own; name one, e.g. 4242:4242 or 4242:0\n' });
    expect(existsSync(m)).toBe(false);
    expect(sbx(["exec", "--user", "4242:4242", "--", "id"]).stdout).toBe("uid=4242 gid=4242 groups=4242\n");
  });

  test("uid 0 with another group is a legal target (it keeps CAP_SETGID by design)", () => {
    for (const spec of ["0:1000", "root:1000"]) {
      const r = sbx(["exec", "--user", spec, "--", "sh", "-c", "id -u; id -g; id -G"]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("0\n1000\n1000\n");
    }
  });

  test("bytes pass unchanged: an argument, a variable and a command path holding \\xff", () => {
    const bin = fresh("bytes");
    mkdirSync(bin, { mode: 0o755 });
    const script = `v=$(printf 'a\\377b'); cmd=$(printf '${bin}/tool\\377'); printf '#!/bin/sh\\nprintf %%s "$1$V" | od -An -tx1\\n' > "$cmd"; chmod 755 "$cmd"; V="$v" exec ${SBX} exec --user nobody -- "$cmd" "$v"`;
    const r = run(["sh", "-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("61 ff 62 61 ff 62");
  });

  test("a variable given twice: the first counts, for the lookup and for the workload", () => {
    const py = `import ctypes; libc = ctypes.CDLL(None); a = lambda xs: (ctypes.c_char_p * (len(xs) + 1))(*[x.encode() for x in xs], None); libc.execve(b"${SBX}", a(["sbx", "exec", "--user", "nobody", "--", "sh", "-c", "env | grep -E '^(PATH|KEEP)=' | sort"]), a(["PATH=/usr/bin:/bin", "KEEP=first", "PATH=/nonexistent", "KEEP=second"]))`;
    const r = run(["/usr/bin/python3", "-c", py]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("KEEP=first\nPATH=/usr/bin:/bin\n");
  });

  describe("in a mount namespace with its own /etc/passwd and /etc/group", () => {
    const etc = fresh("etc");
    mkdirSync(etc);
    writeFileSync(join(etc, "passwd"), Buffer.concat([
      Buffer.from("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n"),
      Buffer.from("svc:x:4242:4242::/home/caf\xe9:/bin/sh\nsvc:x:4242:0::/root:/bin/sh\nmany:x:4300:4300::/:/bin/sh\n", "latin1"),
    ]));
    // 70 000 groups listing "many": more than setgroups takes (NGROUPS_MAX 65536).
    writeFileSync(join(etc, "group"), "root:x:0:\n" + Array.from({ length: 70000 }, (_, i) => `g${i}:x:${10000 + i}:many\n`).join(""));
    const inNs = (...args: string[]) => run(["unshare", "-m", "--propagation", "private", "sh", "-c", `mount --bind ${etc}/passwd /etc/passwd && mount --bind ${etc}/group /etc/group && exec "$@"`, "sh", SBX, "exec", ...args]);

    test.each(["svc", "4242"])("the first matching entry wins, whatever bytes its home holds (%s)", (spec) => {
      const r = inNs("--user", spec, "--", "sh", "-c", 'id -g; printf %s "$HOME" | od -An -c');
      expect(r.stderr).toBe("");
      expect(r.stdout).toStartWith("4242\n");
      expect(r.stdout).toContain("c   a   f 351");
    });

    test("a setgroups failure over 70 000 groups is one short line, the list elided with a count", () => {
      const r = inNs("--user", "many", "--", "true");
      expect(r.code).toBe(207);
      expect(r.stderr.length).toBeLessThan(1000);
      expect(r.stderr).toContain(",…(70001 in all)]");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  });
});
