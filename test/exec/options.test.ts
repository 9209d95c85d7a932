// `sbx exec` options end to end, each read from the workload's real state (/proc/self/status,
// /proc/self/stat, `sbx caps --json` run as the workload) rather than from sbx's own account.
import { describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import * as v from "valibot";
import { ExecReportSchema } from "../../src/render/report.ts";
import { CapsReportSchema } from "../../src/state/report.ts";
import { requireTools } from "../support/privileged.ts";
import { run, SBX, sbx } from "../support/sbx.ts";
import { expectNoCaps, lane as laneIn, scratch, until, ZERO } from "./lane.ts";

requireTools("setpriv", "/usr/bin/python3");

const fresh = scratch("sbx-opts-");
const lane = (args: string[], via: string[] = []) => laneIn(fresh, args, via);
const NOBODY = "65534\t65534\t65534\t65534";

describe("--report-fd", () => {
  test("the report goes to the open fd as one sbx.exec-report/2 document; the fd does not reach the workload", () => {
    const file = fresh("report");
    const r = run(["sh", "-c", `exec 7>${file}; exec ${SBX} exec --report-fd 7 --user nobody -- sh -c 'ls -m /proc/$$/fd; :'`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0, 1, 2\n");
    const text = readFileSync(file, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    const rep = v.parse(ExecReportSchema, JSON.parse(text));
    expect(rep.read_back.uid).toEqual({ real: 65534, effective: 65534, saved: 65534, fs: 65534 });
    expect(rep.read_back.caps.bounding.hex).toBe(ZERO);
    expect(rep.bounding).toEqual({ cleared: true, inert: false, reason: null, probe_before_changes: { droppable: true, errno: null } });
    expect(rep.exec).toEqual({ path: run(["sh", "-c", "command -v sh"]).stdout.trim(), argv: ["sh", "-c", "ls -m /proc/$$/fd; :"] });
  });

  test("a closed fd is refused before anything changes", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--report-fd", "9", "--user", "nobody", "--", "touch", m]);
    expect(r.code).toBe(200);
    expect(r.stderr).toContain("fd 9 is not open");
    expect(existsSync(m)).toBe(false);
  });
});

describe("--workdir", () => {
  test("chdir as the target user: a directory only the target may enter works", () => {
    const dir = fresh("home");
    mkdirSync(dir, 0o700);
    chownSync(dir, 65534, 65534);
    const r = sbx(["exec", "--workdir", dir, "--user", "nobody", "--", "sh", "-c", "pwd -P; readlink /proc/self/cwd"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${dir}\n${dir}\n`);
  });

  test("a directory root may enter but the target may not fails with the workdir code; the workload never runs", () => {
    const dir = fresh("rootonly");
    mkdirSync(dir, 0o700);
    const m = fresh("ran");
    const r = sbx(["exec", "--workdir", dir, "--user", "nobody", "--", "touch", m]);
    expect(r.code).toBe(214);
    expect(r.stderr).toBe(`sbx exec: workdir: chdir("${dir}"): EACCES: the target user cannot enter "${dir}" (no search permission for the target user)\n`);
    expect(existsSync(m)).toBe(false);
  });
});

describe("--new-session", () => {
  test("the workload leads its own session and process group, without a controlling terminal", () => {
    const r = sbx(["exec", "--new-session", "--user", "nobody", "--", "sh", "-c", "echo $$; cut -d' ' -f5-7 /proc/$$/stat"]);
    expect(r.code).toBe(0);
    const [pid, stat] = r.stdout.trim().split("\n");
    expect(stat).toBe(`${pid} ${pid} 0`); // pgrp, session, tty_nr
  });

  test("without it the session is the caller's", () => {
    const r = run(["sh", "-c", `echo $$; exec ${SBX} exec --user nobody -- sh -c "cut -d' ' -f6 /proc/\\$\\$/stat"`]);
    const [caller, session] = r.stdout.trim().split("\n");
    expect(session).not.toBe(caller);
    expect(session).toBe(readFileSync("/proc/self/stat", "utf8").split(" ")[5]);
  });

  test("a session leader cannot start another: session code, nothing ran", () => {
    const m = fresh("ran");
    const r = sbx(["exec", "--new-session", "--user", "nobody", "--", "touch", m], { via: ["setsid"] });
    expect(r.code).toBe(206);
    expect(r.stderr).toContain("setsid: EPERM");
    expect(existsSync(m)).toBe(false);
  });
});

describe("T-G2 --pdeathsig", () => {
  // The parent is a shell that waits for sbx (it does not exec it); the workload traps TERM.
  async function killParent(args: string[], expectSignal: boolean) {
    const got = fresh("got");
    const ready = fresh("ready");
    const workload = `trap 'echo got > ${got}; kill $s; exit' TERM; sleep 5 & s=$!; echo $$ > ${ready}; wait`;
    const parent = Bun.spawn(["sh", "-c", '"$0" exec "$@"; :', SBX, ...args, "--user", "nobody", "--", "sh", "-c", workload], { stdio: ["ignore", "ignore", "inherit"] });
    await until("the workload to be ready", () => existsSync(ready) && readFileSync(ready, "utf8").endsWith("\n"));
    parent.kill(9);
    await parent.exited;
    const workloadPid = Number(readFileSync(ready, "utf8"));
    if (expectSignal) {
      // The trap's redirection creates the file before echo writes it.
      await until("the workload's TERM trap", () => existsSync(got) && readFileSync(got, "utf8") === "got\n");
    } else {
      await Bun.sleep(200);
      expect(existsSync(got)).toBe(false);
      process.kill(workloadPid, "SIGTERM"); // its trap also ends the sleep
      await until("the workload to end", () => existsSync(got));
    }
  }

  test("parent SIGKILLed → the workload (already uid nobody) gets SIGTERM", async () => {
    await killParent(["--pdeathsig", "TERM"], true);
  });

  test("control: without --pdeathsig the workload outlives its parent unsignalled", async () => {
    await killParent([], false);
  });
});

describe("T-B10 --securebits", () => {
  test("the workload's PR_GET_SECUREBITS, read by `sbx caps --json` running as the workload", () => {
    const r = sbx(["exec", "--user", "nobody", "--securebits", "+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked", "--", SBX, "caps", "--json"]);
    expect(r.stderr).toBe("");
    const caps = v.parse(CapsReportSchema, JSON.parse(r.stdout));
    expect(caps.source).toBe("syscalls");
    expect(caps.uid.effective).toBe(65534);
    expect(caps.securebits!.value).toBe(0x2f);
    expect(caps.securebits!.flags.noroot).toEqual({ set: true, locked: true });
    expect(caps.securebits!.flags.keep_caps).toEqual({ set: false, locked: true });
    expect(caps.caps.permitted.hex).toBe(ZERO);
  });

  test("a locked bit cannot be cleared: the kernel says EPERM with CAP_SETPCAP held, and sbx refuses before any change", () => {
    // Root with noroot locked keeps only its ambient caps across execve: here cap_setpcap alone.
    const probe = "import ctypes; l = ctypes.CDLL(None, use_errno=True); get = l.prctl(27, 0, 0, 0, 0); clear = l.prctl(28, get & ~1, 0, 0, 0); e = ctypes.get_errno(); same = l.prctl(28, get, 0, 0, 0); print(get, clear, e, same)";
    const m = fresh("ran");
    const inner = `python3 -c '${probe}'; grep CapEff /proc/self/status; exec ${SBX} exec --securebits -noroot -- touch ${m}`;
    const r = sbx(["exec", "--securebits", "+noroot,+noroot_locked", "--caps", "setpcap", "--", "sh", "-c", inner]);
    const [prctl, capEff, ...rest] = r.stdout.trim().split("\n");
    expect(prctl).toBe("3 -1 1 0"); // securebits 0x3; clearing noroot → -1 EPERM; setting the same bits → 0 (CAP_SETPCAP works)
    expect(capEff).toBe("CapEff:\t0000000000000100");
    expect(rest).toEqual([]);
    expect(r.code).toBe(210);
    expect(r.stderr).toContain('sbx exec: securebits: --securebits "-noroot": noroot is locked');
    expect(existsSync(m)).toBe(false);
  });
});

describe("T-I6 --reset-env against setpriv --reset-env", () => {
  const ENV = ["env", "-i", "TERM=xterm", "COLORTERM=truecolor", "NO_COLOR=1", "FOO=bar", "HOME=/root", "PATH=/usr/bin:/bin"];
  // Documented difference: sbx keeps COLORTERM and NO_COLOR as util-linux >= 2.42 does; older setpriv keeps only TERM.
  const TERMINAL_ONLY_OURS = /^(COLORTERM|NO_COLOR)=/;

  test.each([
    ["a named user", ["--user", "nobody"], ["--reuid", "nobody", "--regid", "nogroup", "--init-groups"]],
    ["root, identity unchanged", [], []],
  ])("%s: the same variables in the same order, apart from the documented ones", (_who, ours, theirs) => {
    const a = run([...ENV, SBX, "exec", ...ours, "--reset-env", "--", "env"]);
    const b = run([...ENV, "setpriv", ...theirs, "--reset-env", "env"]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const mine = a.stdout.split("\n").filter(Boolean);
    const setpriv = b.stdout.split("\n").filter(Boolean);
    expect(mine.filter((l) => !TERMINAL_ONLY_OURS.test(l))).toEqual(setpriv.filter((l) => !TERMINAL_ONLY_OURS.test(l)));
    expect(mine.filter((l) => TERMINAL_ONLY_OURS.test(l))).toEqual(["COLORTERM=truecolor", "NO_COLOR=1"]);
    expect(mine).not.toContain("FOO=bar");
  });

  test("a uid without a passwd entry is described as itself (setpriv would describe root, the caller)", () => {
    const a = run([...ENV, SBX, "exec", "--user", "4242:4242", "--reset-env", "--", "env"]);
    expect(a.stdout).toBe("TERM=xterm\nCOLORTERM=truecolor\nNO_COLOR=1\nSHELL=/bin/sh\nHOME=/\nPATH=/usr/local/bin:/bin:/usr/bin\n");
  });
});

describe("--inh-caps / --ambient-caps: exact sets in the workload", () => {
  test("inheritable kill,net_raw + ambient net_bind_service (ambient implies inheritable)", () => {
    const r = lane(["--user", "nobody", "--bounding-set", "-all,+kill,+net_bind_service,+net_raw", "--inh-caps", "+kill,+net_raw", "--ambient-caps", "+net_bind_service"]);
    expect(r.stderr).toBe("");
    expect(r.st.Uid).toBe(NOBODY);
    expect(r.st.CapInh).toBe("0000000000002420");
    expect(r.st.CapPrm).toBe("0000000000000400");
    expect(r.st.CapEff).toBe("0000000000000400");
    expect(r.st.CapAmb).toBe("0000000000000400");
    expect(r.st.CapBnd).toBe("0000000000002420");
  });

  test("inheritable alone for a non-root target (keep-caps carries the right to set it over setresuid)", () => {
    const r = lane(["--user", "nobody", "--bounding-set", "-all,+net_raw", "--inh-caps", "+net_raw"]);
    expect(r.stderr).toBe("");
    expect(r.st.CapInh).toBe("0000000000002000");
    expect(r.st.CapPrm).toBe(ZERO);
    expect(r.st.CapAmb).toBe(ZERO);
    expect(r.st.CapBnd).toBe("0000000000002000");
  });
});

describe("lane N: the caller already has no_new_privs (setpriv --nnp)", () => {
  const nnp = ["setpriv", "--nnp", "--"];

  test("the step-down works and NNP stays set", () => {
    const r = lane(["--user", "nobody"], nnp);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.st.Uid).toBe(NOBODY);
    expectNoCaps(r.st);
    expect(r.st.NoNewPrivs).toBe("1");
  });

  test("--allow-new-privs cannot unset it: predicted, verified and seen as 1", () => {
    const dry = sbx(["exec", "--user", "nobody", "--allow-new-privs", "--dry-run", "--", "true"], { via: nnp });
    expect(dry.stdout).toContain("no_new_privs: 1");
    const r = lane(["--user", "nobody", "--allow-new-privs"], nnp);
    expect(r.code).toBe(0);
    expect(r.st.NoNewPrivs).toBe("1");
    const control = lane(["--user", "nobody", "--allow-new-privs"]);
    expect(control.st.NoNewPrivs).toBe("0");
  });
});
