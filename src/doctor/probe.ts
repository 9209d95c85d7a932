// The effects of `sbx doctor`: every read from the kernel, procfs and sysfs. Nothing here
// changes state: the only call that could, PR_CAPBSET_DROP, is made for a cap that does not exist.
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { release } from "node:os";
import { hasCap, toHex } from "../caps/mask.ts";
import { capNumberOf } from "../caps/names.ts";
import { kernelLastCap, probeBoundingDrop } from "../state/kernel.ts";
import { readSelfState } from "../state/self.ts";
import { errnoName } from "../sys/errno.ts";
import { landlockAbiVersion } from "../sys/landlock.ts";
import { atSecure } from "../sys/process.ts";
import { actionAvailable } from "../sys/seccomp.ts";
import { getxattr } from "../sys/xattr.ts";
import { ancestors, replaceableBy, type PathNode } from "./install.ts";
import { formatFileCaps, isInitialUserNs, parseFileCaps, parseIdMap, parseLabel, parseLsmList } from "./parse.ts";
import type { DoctorFacts } from "./schema.ts";

const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_MODES = ["disabled", "strict", "filter"] as const;
const ENODATA = 61;
const EOPNOTSUPP = 95;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** A procfs/sysfs text, or null when it is absent or unreadable (both are facts to report). */
function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

const orNull = <T>(x: T | undefined): T | null => (x === undefined ? null : x);

function userns(): DoctorFacts["userns"] {
  const text = readText("/proc/self/uid_map");
  const map = text === null ? null : orNull(parseIdMap(text));
  const setgroups = readText("/proc/self/setgroups")?.trim();
  return {
    uid_map: map,
    in_user_namespace: map === null ? null : !isInitialUserNs(map),
    setgroups: setgroups === "allow" || setgroups === "deny" ? setgroups : null,
  };
}

function lsm(): DoctorFacts["lsm"] {
  const label = (path: string) => {
    const t = readText(path);
    return t === null ? null : orNull(parseLabel(t));
  };
  const list = readText("/sys/kernel/security/lsm");
  return {
    active: list === null ? null : parseLsmList(list),
    label: label("/proc/self/attr/current"),
    apparmor_label: label("/proc/self/attr/apparmor/current"),
  };
}

function intFile(path: string): number | null {
  const t = readText(path)?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : null;
}

const node = (path: string, st: { uid: number; gid: number; mode: number }): PathNode =>
  ({ path, uid: st.uid, gid: st.gid, mode: st.mode });

/**
 * The executable this process runs. stat and getxattr go through /proc/self/exe, so they see the
 * inode actually executed even if the path has been replaced since; the directories come from
 * the path the kernel recorded.
 */
function binary(): DoctorFacts["binary"] {
  let path: string;
  let file: PathNode;
  try {
    path = readlinkSync("/proc/self/exe");
    file = node(path, statSync("/proc/self/exe"));
  } catch {
    return null;
  }
  const dirs: PathNode[] = [];
  const unstatable: string[] = [];
  for (const dir of ancestors(path)) {
    try {
      dirs.push(node(dir, lstatSync(dir)));
    } catch (e) {
      unstatable.push(`${dir} cannot be checked (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      break;
    }
  }
  const xattr = getxattr("/proc/self/exe", "security.capability");
  const absent = !xattr.ok && (xattr.errno === ENODATA || xattr.errno === EOPNOTSUPP);
  let fileCaps: string | null = null;
  if (xattr.ok) {
    const fc = parseFileCaps(xattr.value);
    fileCaps = fc ? formatFileCaps(fc) : `malformed security.capability (${xattr.value.length} bytes)`;
  }
  return {
    path,
    mode: (file.mode & 0o7777).toString(8).padStart(4, "0"),
    uid: file.uid,
    gid: file.gid,
    setuid: (file.mode & S_ISUID) !== 0,
    setgid: (file.mode & S_ISGID) !== 0,
    file_caps: fileCaps,
    file_caps_errno: xattr.ok || absent ? null : errnoName(xattr.errno),
    replaceable_by_non_root: [...replaceableBy(file, dirs), ...unstatable],
  };
}

/** Everything `sbx doctor` reports. Throws StateReadError when this thread's own state is unreadable. */
export function gatherFacts(): DoctorFacts {
  const lastCap = kernelLastCap();
  const procCap = intFile("/proc/sys/kernel/cap_last_cap");
  const self = readSelfState(lastCap);
  const drop = probeBoundingDrop(lastCap);
  const seccomp = actionAvailable(SECCOMP_RET_ALLOW);
  const actions = readText("/proc/sys/kernel/seccomp/actions_avail");
  const ll = landlockAbiVersion();
  return {
    kernel: {
      release: release(),
      last_cap: lastCap,
      proc_last_cap: procCap,
      last_cap_agrees: procCap === null ? null : procCap === lastCap,
    },
    caps: {
      effective: toHex(self.caps.effective),
      bounding: toHex(self.caps.bounding),
      setpcap_effective: hasCap(self.caps.effective, capNumberOf("setpcap")!),
      bounding_drop: drop,
    },
    no_new_privs: self.noNewPrivs,
    seccomp: {
      mode: SECCOMP_MODES[self.seccompMode] ?? "filter",
      filters: self.seccompFilters,
      filter_available: seccomp.ok,
      errno: seccomp.ok ? null : errnoName(seccomp.errno),
      actions_avail: actions === null ? null : actions.trim().split(/\s+/).filter(Boolean),
    },
    landlock: ll.ok ? { abi: ll.value, errno: null } : { abi: null, errno: errnoName(ll.errno) },
    userns: userns(),
    lsm: lsm(),
    tty: { legacy_tiocsti: intFile("/proc/sys/dev/tty/legacy_tiocsti") },
    binary: binary(),
    at_secure: atSecure(),
  };
}
