// Every command, with each of sbx's own system calls failing in turn (EPERM, EINVAL, ENOSYS,
// EFAULT) under a real outer seccomp filter: one line at most, a documented exit code, never a
// JavaScript stack trace or an internal error, and a workload that runs only when sbx says 0.
// (The Bun runtime itself needs getcwd, rt_sigaction, pread64, newfstatat and prlimit64 to start;
// failing those stops it before any sbx code runs, so they are not sbx's to answer for.)
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outerFilter, type Rule } from "../support/outerFilter.ts";
import { requireTools } from "../support/privileged.ts";
import { SBX } from "../support/sbx.ts";

requireTools("/usr/bin/python3");

const dir = mkdtempSync(join(tmpdir(), "sbx-answers-"));
chmodSync(dir, 0o1777); // the workloads run as nobody
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GOSU = join(dir, "gosu");
symlinkSync(SBX, GOSU);
let seq = 0;
const marker = () => join(dir, `ran-${seq++}`);

const PR = { SET_PDEATHSIG: 1, SET_KEEPCAPS: 8, GET_SECCOMP: 21, CAPBSET_READ: 23, CAPBSET_DROP: 24, GET_SECUREBITS: 27, SET_SECUREBITS: 28, SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, CAP_AMBIENT: 47 };
const CALLS: Array<[string, Omit<Rule, "errnoRet">]> = [
  ...["capget", "capset", "getresuid", "getresgid", "getgroups", "setgroups", "setresuid", "setresgid", "close_range", "setsid", "chdir", "statx", "readlink", "faccessat", "faccessat2", "getxattr", "rt_sigprocmask", "fcntl", "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "umask", "ioctl"].map(
    (name): [string, Omit<Rule, "errnoRet">] => [name, { names: [name] }],
  ),
  // The runtime calls prlimit64 at start (its stack and fd limits) and aborts when it fails; sbx's own calls are for RLIMIT_CORE here.
  ["prlimit64(RLIMIT_CORE)", { names: ["prlimit64"], args: [{ index: 1, value: 4, op: "SCMP_CMP_EQ" }] }],
  ...Object.entries(PR).map(([name, value]): [string, Omit<Rule, "errnoRet">] => [`prctl(PR_${name})`, { names: ["prctl"], args: [{ index: 0, value, op: "SCMP_CMP_EQ" }] }]),
];
const ERRNOS = { EPERM: 1, EINVAL: 22, ENOSYS: 38, EFAULT: 14 };

const EXEC_CODES = [0, 126, 127, ...Array.from({ length: 23 }, (_, i) => 200 + i).filter((c) => c !== 219)];
const COMMANDS: Array<{ name: string; argv: (m: string) => string[]; codes: number[]; runs: boolean }> = [
  {
    name: "sbx exec (most options)",
    argv: (m) => [
      SBX, "exec", "--user", "nobody", "--caps", "net_bind_service", "--pdeathsig", "TERM", "--new-session", "--workdir", "/tmp", "--report", `${m}.report`, "--seccomp", "default",
      "--umask", "022", "--rlimit", "core=0", "--landlock-access", "fs:write-file,make-reg,ioctl-dev", "--landlock-rule", `path-beneath:write-file,make-reg:${dir}`, "--", "touch", m,
    ],
    codes: EXEC_CODES,
    runs: true,
  },
  { name: "gosu", argv: (m) => [GOSU, "nobody", "touch", m], codes: [0, 1], runs: true },
  { name: "sbx caps --json", argv: () => [SBX, "caps", "--json"], codes: [0, 3], runs: false },
  { name: "sbx doctor", argv: () => [SBX, "doctor"], codes: [0, 1, 3], runs: false },
];

describe("each of sbx's calls failing, for each command", () => {
  for (const [call, rule] of CALLS) {
    for (const [errnoName, errnoRet] of Object.entries(ERRNOS)) {
      test(`${call} → ${errnoName}`, async () => {
        const via = outerFilter([{ ...rule, errnoRet }]);
        // The four commands at once: they share nothing but the filter.
        const runs = await Promise.all(COMMANDS.map(async (c) => {
          const m = marker();
          const p = Bun.spawn([...via, ...c.argv(m)], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
          const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
          return { c, m, r: { code, stderr } };
        }));
        for (const { c, m, r } of runs) {
          const lines = r.stderr.split("\n").filter(Boolean);
          const what = { command: c.name, code: r.code, stderr: r.stderr };
          expect(r.stderr, JSON.stringify(what)).not.toMatch(/^\s+at |internal error|Unexpected|panic/m);
          expect(c.codes, JSON.stringify(what)).toContain(r.code);
          expect(lines.length, JSON.stringify(what)).toBeLessThanOrEqual(1);
          if (c.runs) expect(existsSync(m), JSON.stringify(what)).toBe(r.code === 0);
        }
      });
    }
  }
});
