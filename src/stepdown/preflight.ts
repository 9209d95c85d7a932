// Preflight: everything sbx checks and reads about itself and its caller before planning. Changes
// no privilege; its only effects are opening /dev/null onto closed fds 0-2 (first, so no file sbx
// opens later lands there) and opening /proc/thread-self/status for verification.
import { kernelLastCap, probeBoundingDrop } from "../state/kernel.ts";
import { hasLine, readSelfState } from "../state/self.ts";
import { EACCES, ENODATA, ENOENT, EOPNOTSUPP } from "../sys/errno.ts";
import { moveCloexecAbove } from "../sys/fd.ts";
import { AT_FDCWD, O, openAt, readlink, stat } from "../sys/file.ts";
import { atSecure, ensureStdio, fdOpen, getcwd } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import { getxattr } from "../sys/xattr.ts";
import { toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import type { Environment } from "../identity/env.ts";
import { statusReader } from "./kernel.ts";
import type { CallerFacts, Vocabulary } from "./plan.ts";
import { Refusal } from "./refusal.ts";

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/**
 * Refuse to run from a privileged install. sbx trusts its environment (like any root tool), so a
 * setuid/setgid or file-capability sbx would let any user run root code paths with their env.
 */
function checkOwnInstall(): void {
  const exe = "/proc/self/exe";
  const st = stat(exe);
  if (!st.ok) throw new Refusal("preflight", `cannot stat ${exe}: ${st.errno.name} — is /proc mounted? sbx refuses to run without checking its own install`);
  const mode = st.value.mode;
  if (mode & (S_ISUID | S_ISGID)) {
    throw new Refusal("preflight", `refusing to run: the sbx binary is ${mode & S_ISUID ? "setuid" : "setgid"} (mode ${(mode & 0o7777).toString(8)}); remove the bit (chmod u-s,g-s) — sbx must be run by root, not installed privileged`, "sbx-privileged-install");
  }
  const x = getxattr(exe, "security.capability");
  if (x.ok) throw new Refusal("preflight", "refusing to run: the sbx binary has file capabilities (security.capability); remove them with setcap -r", "sbx-privileged-install");
  if (![ENODATA, EOPNOTSUPP, ENOENT, EACCES].includes(x.errno)) throw new Refusal("preflight", `cannot check the sbx binary for file capabilities: ${describe(x)}`);
  // getauxval reads the aux vector libc saved at exec: no system call, nothing a filter can answer.
  if (atSecure()) throw new Refusal("preflight", "refusing to run: AT_SECURE is set (sbx was started through a setuid/setgid/file-capability exec)", "sbx-privileged-install");
}

/**
 * Refuse a working directory outside this process's root (runc's verifyCwd, CVE-2024-21626): the
 * workload inherits it and could walk out of its root through it. Also when --workdir would
 * replace it: sbx resolves relative paths there while still privileged.
 */
function checkCwd(): void {
  const cwd = getcwd();
  if (!cwd.ok) {
    const why = cwd.errno === ENOENT ? ": it was deleted" : "";
    throw new Refusal("preflight", `refusing to run: the working directory cannot be resolved (${describe(cwd)}${why}); start sbx from an existing directory`, "sbx-cwd-unreachable");
  }
  if (!cwd.value.startsWith("/")) {
    throw new Refusal("preflight", `refusing to run: the working directory ${quote(cwd.value)} is outside this process's root (inherited across chroot/pivot_root, or a leaked directory fd); the workload could escape through it — start sbx from a directory inside the root`, "sbx-cwd-unreachable");
  }
}

/** LISTEN_FDS counts only when LISTEN_PID names this process (sd_listen_fds rule); we exec in place, so it stays valid. */
export function listenFds(env: Environment): number {
  if (env.get("LISTEN_PID") !== String(process.pid)) return 0;
  const text = env.get("LISTEN_FDS") ?? "";
  return /^\d{1,5}$/.test(text) && Number(text) > 0 ? Number(text) : 0;
}

/** What the runtime itself opens at start (its event loop): never the caller's, so never passed on. */
const RUNTIME_FDS = ["anon_inode:[eventpoll]", "anon_inode:[eventfd]"];

/**
 * Each fd the workload is to keep must be one the caller passed: open, and not one of the
 * runtime's own (which take the lowest free numbers at start, so a count larger than what was
 * passed would hand them on). Checked before sbx opens anything of its own.
 */
function checkCallerFds(keep: number, listen: number, say: Vocabulary, preserve: number): void {
  const asked = () => [listen ? `LISTEN_FDS=${listen}` : "", preserve ? say.option("preserveFds", String(preserve)) : ""].filter(Boolean).join(" and ");
  for (let fd = 3; fd < 3 + keep; fd++) {
    const open = fdOpen(fd);
    if (!open.ok) throw new Refusal("fds", `${asked()} keeps fds 3-${2 + keep}, but whether fd ${fd} is open cannot be told: ${describe(open)}`);
    if (!open.value) throw new Refusal("fds", `${asked()} keeps fds 3-${2 + keep}, but fd ${fd} is not open: the caller passed fewer fds`);
    const link = readlink(`/proc/self/fd/${fd}`);
    if (link.ok && RUNTIME_FDS.includes(link.value)) {
      throw new Refusal("fds", `${asked()} keeps fds 3-${2 + keep}, but fd ${fd} is ${toText(link.value)}, which sbx's runtime opened itself: the caller passed fewer fds (sbx cannot hand on an eventpoll or eventfd)`);
    }
  }
}

export interface Preflight {
  facts: CallerFacts;
  /** /proc/thread-self/status, close-on-exec, above the kept fds: verification reads it with one pread. */
  statusFd: number;
}

export function preflight(env: Environment, preserveFds: number, say: Vocabulary): Preflight {
  const stdio = ensureStdio();
  if (!stdio.ok) throw new Refusal("preflight", `cannot open /dev/null onto a closed fd 0-2: ${describe(stdio)}`);
  const listen = listenFds(env);
  const keep = listen + preserveFds;
  checkCallerFds(keep, listen, say, preserveFds);
  checkOwnInstall();
  checkCwd();
  const lastCap = kernelLastCap();
  if (!lastCap.ok) throw new Refusal("preflight", lastCap.problem);
  const probe = probeBoundingDrop(lastCap.value);
  const opened = openAt(AT_FDCWD, "/proc/thread-self/status", O.RDONLY);
  if (!opened.ok) throw new Refusal("preflight", `cannot open /proc/thread-self/status, which sbx reads back its state from: ${describe(opened)} (is /proc mounted?)`);
  const moved = moveCloexecAbove(opened.value, 3 + keep);
  if (!moved.ok) throw new Refusal("preflight", `cannot move the /proc/thread-self/status fd: ${describe(moved)}`);
  const read = statusReader(moved.value);
  // The text readSelfState read is the one the line checks below look at: no second read.
  let text: ReturnType<typeof read> | undefined;
  const state = readSelfState(lastCap.value, () => (text = read()));
  if (!state.ok) throw new Refusal("preflight", state.problem);
  text ??= read();
  return {
    statusFd: moved.value,
    facts: {
      state: state.value,
      lastCap: lastCap.value,
      ambientSet: text.ok && hasLine(text.value, "CapAmb:"),
      boundingDroppable: probe.droppable,
      boundingDropErrno: probe.errno,
      listenFds: listen,
      kernelHasSeccomp: text.ok && hasLine(text.value, "Seccomp:"),
    },
  };
}
