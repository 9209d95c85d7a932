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
