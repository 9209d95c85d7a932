// `sbx exec --landlock-access/--landlock-rule` on the real kernel (ABI 7 here), as root stepping
// down to nobody. For each filesystem right the kernel has: a ruleset handling only that right, a
// rule allowing it beneath one directory, and the access made by the workload itself in that
// directory (allowed) and in another (denied). Then a rule path that is a symlink, the report's
// probes, and an outer filter that hides landlock_create_ruleset (ENOSYS): refused, then degraded by name.
import { describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ALL_FS, rightNames, rightsOfAbi } from "../../src/landlock/access.ts";
import { ExecReportSchema } from "../../src/render/report.ts";
import { outerFilter } from "../support/outerFilter.ts";
import { requireTools } from "../support/privileged.ts";
import { run, SBX, sbx } from "../support/sbx.ts";
import { scratch } from "./lane.ts";

requireTools("/usr/bin/python3");

const fresh = scratch("sbx-landlock-");
const NOBODY = 65534;
const EACCES = 13, EPERM = 1, EXDEV = 18, ENOTTY = 25;
const abi = Number(run(["/usr/bin/python3", "-c", "import ctypes;l=ctypes.CDLL(None);l.syscall.restype=ctypes.c_long;print(l.syscall(444,0,0,1))"]).stdout.trim());

/** Each step: [operation, path(s)…] run by the workload (python3 -c, so it reads no script file); prints the errno of each, 0 for success. */
const PROBE = `
import json, os, socket, stat, sys, fcntl, termios, subprocess
out = []
for op, *a in json.loads(sys.argv[1]):
    try:
        if op == "exec": r = subprocess.run([a[0]]).returncode
        elif op == "write": os.close(os.open(a[0], os.O_WRONLY))
        elif op == "read": os.close(os.open(a[0], os.O_RDONLY))
        elif op == "readdir": os.listdir(a[0])
        elif op == "rmdir": os.rmdir(a[0])
        elif op == "unlink": os.unlink(a[0])
        elif op == "mknod-chr": os.mknod(a[0], stat.S_IFCHR | 0o600, 0)
        elif op == "mknod-blk": os.mknod(a[0], stat.S_IFBLK | 0o600, os.makedev(7, 0))
        elif op == "mkdir": os.mkdir(a[0])
        elif op == "creat": os.close(os.open(a[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif op == "sock": socket.socket(socket.AF_UNIX).bind(a[0])
        elif op == "fifo": os.mkfifo(a[0])
        elif op == "symlink": os.symlink("/x", a[0])
        elif op == "rename": os.rename(a[0], a[1])
        elif op == "truncate": os.truncate(a[0], 0)
        elif op == "ioctl":
            fd = os.open(a[0], os.O_RDONLY)
            fcntl.ioctl(fd, termios.TCGETS, b"\\0" * 64)
        out.append(0)
    except OSError as e:
        out.append(e.errno)
print(json.dumps(out))
`;

/** Two directories owned by nobody: `allowed` (beneath the rule) and `denied`, each with a file f, a dir d and subdirs a, b holding f. */
function dirs() {
  const base = fresh("tree");
  const made = (d: string) => (mkdirSync(d), chownSync(d, NOBODY, NOBODY), d);
  const file = (f: string) => (writeFileSync(f, "x"), chownSync(f, NOBODY, NOBODY), f);
  made(base);
  const tree = (name: string) => {
    const d = made(join(base, name));
    file(join(d, "f"));
    made(join(d, "d"));
    made(join(d, "a"));
    made(join(d, "b"));
    file(join(d, "a", "f"));
    writeFileSync(join(d, "true"), readFileSync("/usr/bin/true"), { mode: 0o755 });
    return d;
  };
  return { allowed: tree("allowed"), denied: tree("denied") };
}

type Step = (dir: string) => [string, ...string[]];
/** Each right: the access that needs it, and what it answers when allowed (the denial is EACCES, EXDEV for refer). */
const RIGHTS: Record<string, { step: Step; allowed: number; denied?: number; rulePath?: (dir: string) => string; deniedPath?: string }> = {
  execute: { step: (d) => ["exec", join(d, "true")], allowed: 0 },
  "write-file": { step: (d) => ["write", join(d, "f")], allowed: 0 },
  "read-file": { step: (d) => ["read", join(d, "f")], allowed: 0 },
  "read-dir": { step: (d) => ["readdir", join(d, "d")], allowed: 0 },
  "remove-dir": { step: (d) => ["rmdir", join(d, "d")], allowed: 0 },
  "remove-file": { step: (d) => ["unlink", join(d, "f")], allowed: 0 },
  "make-char": { step: (d) => ["mknod-chr", join(d, "c")], allowed: 0 }, // a 0:0 whiteout needs no CAP_MKNOD
  "make-dir": { step: (d) => ["mkdir", join(d, "new")], allowed: 0 },
  "make-reg": { step: (d) => ["creat", join(d, "new")], allowed: 0 },
  "make-sock": { step: (d) => ["sock", join(d, "s")], allowed: 0 },
  "make-fifo": { step: (d) => ["fifo", join(d, "p")], allowed: 0 },
  "make-block": { step: (d) => ["mknod-blk", join(d, "b0")], allowed: EPERM }, // Landlock answers first; then the missing CAP_MKNOD
  "make-sym": { step: (d) => ["symlink", join(d, "l")], allowed: 0 },
  refer: { step: (d) => ["rename", join(d, "a", "f"), join(d, "b", "f")], allowed: 0, denied: EXDEV },
  truncate: { step: (d) => ["truncate", join(d, "f")], allowed: 0 },
  "ioctl-dev": { step: () => ["ioctl", "/dev/null"], allowed: ENOTTY, rulePath: () => "/dev/null", deniedPath: "/dev/zero" },
};

function probe(args: string[], steps: Array<[string, ...string[]]>, via: string[] = []) {
  const r = sbx(["exec", "--user", "nobody", ...args, "--", "/usr/bin/python3", "-I", "-S", "-c", PROBE, JSON.stringify(steps)], { via });
  return { ...r, results: r.code === 0 ? (JSON.parse(r.stdout) as number[]) : null };
}

/** Rules the workload itself needs when the ruleset handles execute, read-file or read-dir: python3, its libraries and modules live under /usr. */
const runtime = (right: string) => (["execute", "read-file", "read-dir"].includes(right) ? ["--landlock-rule", `path-beneath:${right}:/usr`] : []);

describe(`each filesystem right this kernel has (ABI ${abi}), handled alone: allowed beneath the rule, denied elsewhere`, () => {
  test("this kernel has every right sbx knows", () => {
    expect(rightNames(rightsOfAbi(abi))).toEqual(rightNames(ALL_FS));
  });

  for (const right of rightNames(rightsOfAbi(abi))) {
    const r = RIGHTS[right]!;
    test(right, () => {
      const { allowed, denied } = dirs();
      const rulePath = r.rulePath?.(allowed) ?? allowed;
      const deniedStep = r.deniedPath ? (["ioctl", r.deniedPath] as [string, ...string[]]) : r.step(denied);
      const out = probe(["--landlock-access", `fs:${right}`, "--landlock-rule", `path-beneath:${right}:${rulePath}`, ...runtime(right)], [r.step(allowed), deniedStep]);
      expect(out.stderr).toBe("");
      expect(out.results).toEqual([r.allowed, r.denied ?? EACCES]);
    });
  }

  test("control: without Landlock each denied access succeeds (the denials above are the ruleset's)", () => {
    const { denied } = dirs();
    const steps = ["write-file", "read-dir", "make-reg", "truncate"].map((right) => RIGHTS[right]!.step(denied));
    expect(probe([], steps).results).toEqual([0, 0, 0, 0]);
  });
});

describe("rules, the command and the report", () => {
  test("--landlock-access fs with rules for /usr and one directory: reads and writes there only; the report shows the probes that proved it", () => {
    const { allowed, denied } = dirs();
    const report = fresh("report");
    const out = probe(
      ["--landlock-access", "fs", "--landlock-rule", "path-beneath:execute,read-file,read-dir:/usr", "--landlock-rule", `path-beneath::${allowed}`, "--report", report],
      [["creat", join(allowed, "n")], ["creat", join(denied, "n")], ["read", "/etc/passwd"], ["readdir", "/"]],
    );
    expect(out.stderr).toBe("");
    expect(out.results).toEqual([0, EACCES, EACCES, EACCES]);
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.landlock).toMatchObject({ abi, handled: rightNames(ALL_FS), not_enforced: [], enforced: true });
    expect(rep.landlock!.rules.map((x) => x.rule)).toEqual(["path-beneath:execute,read-file,read-dir:/usr", `path-beneath::${allowed}`]);
    expect(rep.landlock!.verification).toEqual({
      method: "probes",
      verified: true,
      note: null,
      probes: [
        { right: "read-dir", target: "/dev", expect: "denied", before: "ok", after: "EACCES" },
        { right: "read-file", target: "/dev/null", expect: "denied", before: "ok", after: "EACCES" },
        { right: "write-file", target: "/dev/null", expect: "denied", before: "ok", after: "EACCES" },
      ],
    });
  });

  test("a rule path the target user cannot open is opened as root, before the step-down", () => {
    const { allowed } = dirs();
    const secret = fresh("secret");
    mkdirSync(secret, 0o700); // root's: nobody cannot even search it
    const out = probe(["--landlock-access", "fs:write-file", "--landlock-rule", `path-beneath:write-file:${secret}`, "--landlock-rule", `path-beneath:write-file:${allowed}`], [["write", join(allowed, "f")]]);
    expect(out.stderr).toBe("");
    expect(out.results).toEqual([0]);
  });

  test("a rule path that is a symlink is refused before any change, naming its target; nothing runs", () => {
    const { allowed } = dirs();
    const link = fresh("link");
    symlinkSync(allowed, link);
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--landlock-access", "fs:write-file", "--landlock-rule", `path-beneath:write-file:${link}`, "--", "touch", m]);
    expect(r.code).toBe(200);
    expect(r.stderr).toBe(`sbx exec: usage: --landlock-rule "path-beneath:write-file:${link}": "${link}" is a symbolic link (to "${allowed}"); a Landlock rule names a file hierarchy, and sbx does not follow a final symlink to find it — name the target itself\n`);
    expect(existsSync(m)).toBe(false);
    // A symlink above the final component is followed, as any path is.
    const out = probe(["--landlock-access", "fs:write-file", "--landlock-rule", `path-beneath:write-file:${link}/a`], [["write", join(allowed, "a", "f")], ["write", join(allowed, "f")]]);
    expect(out.results).toEqual([0, EACCES]);
  });

  test("a ruleset that would deny the command's own execve is refused before any change", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--landlock-access", "fs", "--", "/usr/bin/touch", m]);
    expect(r.code).toBe(200);
    expect(r.stderr).toContain('the Landlock ruleset does not allow execute,read-file on "/usr/bin/touch", the command');
    expect(existsSync(m)).toBe(false);
  });

  test("--dry-run names the ruleset, its rules and the probes", () => {
    const r = sbx(["exec", "--user", "nobody", "--dry-run", "--landlock-access", "fs:write-file,read-dir", "--landlock-rule", "path-beneath:write-file:/tmp", "--", "true"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`landlock   Landlock ruleset (ABI ${abi}) handling write-file,read-dir; allow "/tmp" (write-file); landlock_restrict_self (no_new_privs set first); probe as the target before and after: read-dir on /dev denied; write-file on /dev/null denied`);
    expect(r.stdout).toContain("  landlock: handles write-file,read-dir\n");
  });
});

describe("an outer filter that makes landlock_create_ruleset fail with ENOSYS (a kernel without Landlock, as gVisor answers)", () => {
  const via = () => outerFilter([{ names: ["landlock_create_ruleset"], errnoRet: 38 }]);

  test("refused before any change, with the landlock code; nothing runs", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--user", "nobody", "--landlock-access", "fs:write-file", "--", "touch", m], { via: via() });
    expect(r.code).toBe(222);
    expect(r.stderr).toBe(`sbx exec: landlock: this kernel has no Landlock (landlock_create_ruleset: ENOSYS): it cannot enforce write-file (ABI 1); the workload would run with those accesses unrestricted — ask only for rights it has (none), or accept with --allow-degraded landlock\n`);
    expect(existsSync(m)).toBe(false);
  });

  test("--allow-degraded landlock: runs without a ruleset, says so, and the report names every right as not enforced", () => {
    const { denied } = dirs();
    const report = fresh("report");
    const r = probe(["--landlock-access", "fs:write-file,make-reg", "--allow-degraded", "landlock", "--report", report], [["write", join(denied, "f")]], via());
    expect(r.stderr).toBe(
      "sbx exec: warning: running DEGRADED (landlock): this kernel has no Landlock (landlock_create_ruleset: ENOSYS): it cannot enforce write-file (ABI 1), make-reg (ABI 1); running with no Landlock ruleset at all (--allow-degraded landlock)\n",
    );
    expect(r.results).toEqual([0]);
    const rep = v.parse(ExecReportSchema, JSON.parse(readFileSync(report, "utf8")));
    expect(rep.degraded.map((d) => [d.name, d.finding_uid])).toEqual([["landlock", "landlock-rights-not-enforced"]]);
    expect(rep.landlock).toMatchObject({ abi: null, handled: [], not_enforced: ["write-file", "make-reg"], enforced: false, rules: [] });
    expect(rep.landlock!.verification.note).toContain("cannot enforce any of the rights");
  });
});

describe("gosu mode: SBX_LANDLOCK_ACCESS and SBX_LANDLOCK_RULE_<ID>", () => {
  test("the ruleset is enforced for the workload, and the variables do not reach it", () => {
    const { allowed, denied } = dirs();
    const dir = fresh("bin");
    mkdirSync(dir);
    symlinkSync(SBX, join(dir, "gosu"));
    const env = { PATH: "/usr/bin:/bin", SBX_LANDLOCK_ACCESS: "fs:write-file,make-reg", SBX_LANDLOCK_RULE_DATA: `path-beneath::${allowed}` };
    const r = run([join(dir, "gosu"), "nobody", "sh", "-c", `touch ${allowed}/n && echo yes; touch ${denied}/n 2>&1 | grep -q "Permission denied" && echo no; env | grep ^SBX_ || :`], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("yes\nno\n");
  });
});
