// Preflight: everything sbx checks and reads before planning. Changes no privilege; the only
// effect is opening /dev/null onto closed fds 0-2, first, so no file sbx opens later lands there.
import { statSync } from "node:fs";
import { EACCES, ENOENT } from "../sys/errno.ts";
import { describe } from "../sys/result.ts";
import { atSecure, ensureStdio, getcwd } from "../sys/process.ts";
import { getxattr } from "../sys/xattr.ts";
import { kernelLastCap, probeBoundingDrop } from "../state/kernel.ts";
import { readSelfState } from "../state/self.ts";
import type { CallerFacts } from "./plan.ts";
import { Refusal } from "./refusal.ts";

const ENODATA = 61;
const EOPNOTSUPP = 95;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/**
 * Refuse to run from a privileged install. sbx trusts its environment (like any root tool), so a
 * setuid/setgid or file-capability sbx would let any user run root code paths with their env.
 */
function checkOwnInstall(): void {
  const exe = "/proc/self/exe";
  let mode: number;
  try {
    mode = statSync(exe).mode;
  } catch (e) {
    throw new Refusal("preflight", `cannot stat ${exe}: ${(e as NodeJS.ErrnoException).code ?? e} — is /proc mounted? sbx refuses to run without checking its own install`);
  }
  if (mode & (S_ISUID | S_ISGID)) {
    throw new Refusal("preflight", `refusing to run: the sbx binary is ${mode & S_ISUID ? "setuid" : "setgid"} (mode ${(mode & 0o7777).toString(8)}); remove the bit (chmod u-s,g-s) — sbx must be run by root, not installed privileged`, "sbx-privileged-install");
  }
  const x = getxattr(exe, "security.capability");
  if (x.ok) {
    throw new Refusal("preflight", "refusing to run: the sbx binary has file capabilities (security.capability); remove them with setcap -r", "sbx-privileged-install");
  }
  if (![ENODATA, EOPNOTSUPP, ENOENT, EACCES].includes(x.errno)) {
    throw new Refusal("preflight", `cannot check the sbx binary for file capabilities: ${describe(x)}`);
  }
  if (atSecure()) {
    throw new Refusal("preflight", "refusing to run: AT_SECURE is set (sbx was started through a setuid/setgid/file-capability exec)", "sbx-privileged-install");
  }
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
    throw new Refusal("preflight", `refusing to run: the working directory "${cwd.value}" is outside this process's root (inherited across chroot/pivot_root, or a leaked directory fd); the workload could escape through it — start sbx from a directory inside the root`, "sbx-cwd-unreachable");
  }
}

/** LISTEN_FDS counts only when LISTEN_PID names this process (sd_listen_fds rule); we exec in place, so it stays valid. */
function listenFds(env: NodeJS.ProcessEnv): number {
  if (env.LISTEN_PID !== String(process.pid)) return 0;
  const n = Number(env.LISTEN_FDS);
  return /^\d{1,5}$/.test(env.LISTEN_FDS ?? "") && n > 0 ? n : 0;
}

export function preflight(): CallerFacts {
  const stdio = ensureStdio();
  if (!stdio.ok) throw new Refusal("preflight", `cannot open /dev/null onto a closed fd 0-2: ${describe(stdio)}`);
  checkOwnInstall();
  checkCwd();
  const lastCap = kernelLastCap();
  const probe = probeBoundingDrop(lastCap);
  return {
    state: readSelfState(lastCap),
    lastCap,
    boundingDroppable: probe.droppable,
    boundingDropErrno: probe.errno,
    listenFds: listenFds(process.env),
  };
}
