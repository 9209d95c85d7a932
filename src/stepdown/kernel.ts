// The runner's Kernel, bound to libc (src/sys). Kept apart from run.ts so that the runner can be
// tested against a fake of exactly these calls.
import { lookPath } from "../identity/lookPath.ts";
import { markedKernel } from "../phases.ts";
import { probeFile } from "../identity/probeFile.ts";
import { readSelfState } from "../state/self.ts";
import { capget, capset } from "../sys/capset.ts";
import { setgroups, setresgid, setresuid } from "../sys/creds.ts";
import { preadFromStart } from "../sys/fd.ts";
import { ambientClearAll, ambientRaise, capbsetDrop, capbsetRead, getSeccompMode, setKeepCaps, setNoNewPrivs, setPdeathsig, setSecurebits } from "../sys/prctl.ts";
import { chdir, cloexecFrom, ignoreSignals, prepareExecve, resetSignals, restoreFlags, setCloexec, setsid, writeAll, writeStderr } from "../sys/process.ts";
import { ok, type SysResult } from "../sys/result.ts";
import { installFilter } from "../sys/seccomp.ts";
import { AT_FDCWD, close, ioctlErrno, O, openAt } from "../sys/file.ts";
import { landlockAddRule, landlockCreateRuleset, landlockRestrictSelf } from "../sys/landlock.ts";
import { getRlimit, setRlimit, setUmask } from "../sys/rlimit.ts";
import type { AccessProbe } from "./landlock/types.ts";
import { fromBytes, type ByteString } from "../text/bytes.ts";
import type { Kernel } from "./run.ts";
import { STATUS_BYTES } from "./seccomp/inForce.ts";

const SIGPIPE = 13;
const SIGXFSZ = 25;

/** A pread64 at offset 0 of a procfs fd opened before any change: one call, generated afresh. */
export function statusReader(fd: number): () => SysResult<ByteString> {
  const buf = new Uint8Array(STATUS_BYTES);
  return () => {
    const n = preadFromStart(fd, buf);
    return n.ok ? ok(fromBytes(buf.subarray(0, n.value))) : n;
  };
}

const TCGETS = 0x5401;
const PROBE_OPEN: Record<AccessProbe["how"], number> = {
  "open-dir": O.RDONLY | O.DIRECTORY,
  "open-read": O.RDONLY,
  "open-write": O.WRONLY,
  "ioctl-read": O.RDONLY,
  "ioctl-write": O.WRONLY,
};

/** A Landlock probe: open (never read or written; non-blocking, no controlling tty), then ioctl(TCGETS) for ioctl-dev. */
export function probeAccess(p: AccessProbe): SysResult {
  const fd = openAt(AT_FDCWD, p.target, PROBE_OPEN[p.how] | O.NONBLOCK | O.NOCTTY);
  if (!fd.ok) return fd;
  const r = p.how.startsWith("ioctl") ? ioctlErrno(fd.value, TCGETS) : ok(0);
  close(fd.value);
  return r;
}

export function realKernel(lastCap: number, statusFd: number): Kernel {
  const status = statusReader(statusFd);
  return markedKernel({
    setCloexec,
    cloexecFrom,
    setsid,
    setgroups,
    setresgid,
    setresuid,
    capbsetDrop,
    capbsetRead,
    setSecurebits,
    setKeepCaps,
    capget,
    capset,
    ambientClearAll,
    ambientRaise,
    setPdeathsig,
    chdir,
    setNoNewPrivs,
    readState: () => readSelfState(lastCap, status),
    lookPath: (command, path) => lookPath(command, path, probeFile),
    getRlimit,
    setRlimit,
    setUmask,
    landlockCreateRuleset,
    landlockAddRule,
    landlockRestrictSelf,
    probeAccess,
    installFilter,
    getSeccompMode,
    readStatus: () => status(),
    write: writeAll,
    restoreFlags,
    resetSignals,
    ignoreWriteSignals: () => ignoreSignals(SIGPIPE, SIGXFSZ),
    prepareExecve,
  }, writeStderr);
}
