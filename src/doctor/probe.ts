// The effects of `sbx doctor`: every read from the kernel, procfs and sysfs. Nothing here
// changes state: the only call that could, PR_CAPBSET_DROP, is made for a cap that does not exist.
import { release } from "node:os";
import { hasCap, toHex } from "../caps/mask.ts";
import { capNumberOf } from "../caps/names.ts";
import { type Probed, probeBoundingDrop, probeLastCap, procLastCap } from "../state/kernel.ts";
import { readSelfState } from "../state/self.ts";
import { ENODATA, EOPNOTSUPP } from "../sys/errno.ts";
import { lstat, readlink, readSmallFile, stat } from "../sys/file.ts";
import { landlockAbiVersion } from "../sys/landlock.ts";
import type { SysResult } from "../sys/result.ts";
import { toText } from "../text/bytes.ts";
import { probeSwitch } from "../sys/creds.ts";
import { atSecure, isGroupLeader } from "../sys/process.ts";
import { actionAvailable } from "../sys/seccomp.ts";
import { getxattr } from "../sys/xattr.ts";
import { ancestors, replaceableBy, type PathNode } from "./install.ts";
import { formatFileCaps, isInitialUserNs, parseFileCaps, parseIdMap, parseLabel, parseLsmList } from "./parse.ts";
import type { DoctorFacts } from "./schema.ts";

const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_MODES = ["disabled", "strict", "filter"] as const;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** A procfs/sysfs text, or null when it is absent or unreadable (both are facts to report). */
function readText(path: string): string | null {
  const t = readSmallFile(path);
  return t.ok ? toText(t.value) : null;
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
  const link = readlink("/proc/self/exe");
  const st = stat("/proc/self/exe");
  if (!link.ok || !st.ok) return null;
  const path = toText(link.value);
  const file = node(path, st.value);
  const dirs: PathNode[] = [];
  const unstatable: string[] = [];
  for (const dir of ancestors(link.value)) {
    const d = lstat(dir);
    if (!d.ok) {
      unstatable.push(`${toText(dir)} cannot be checked (${d.errno.name})`);
      break;
    }
    dirs.push(node(toText(dir), d.value));
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
    file_caps_errno: xattr.ok || absent ? null : xattr.errno.name,
    replaceable_by_non_root: [...replaceableBy(file, dirs), ...unstatable],
  };
}

/** Everything `sbx doctor` reports, or why this thread's own state cannot be read or trusted. */
export function gatherFacts(): Probed<DoctorFacts> {
  const probe = probeLastCap();
  if (!probe.ok) return probe;
  const lastCap = probe.value;
  const procCap = procLastCap();
  const read = readSelfState(procCap ?? lastCap);
  if (!read.ok) return read;
  const self = read.value;
  const drop = probeBoundingDrop(lastCap);
  const sw = probeSwitch();
  const errnoOf = (r: SysResult<unknown>) => (r.ok ? null : r.errno.name);
  const seccomp = actionAvailable(SECCOMP_RET_ALLOW);
  const actions = readText("/proc/sys/kernel/seccomp/actions_avail");
  const ll = landlockAbiVersion();
  return {
    ok: true,
    value: {
    caller: { uid: self.uid, gid: self.gid },
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
      setuid_effective: hasCap(self.caps.effective, capNumberOf("setuid")!),
      setgid_effective: hasCap(self.caps.effective, capNumberOf("setgid")!),
      switch: { setgroups: errnoOf(sw.setgroups), setresgid: errnoOf(sw.setresgid), setresuid: errnoOf(sw.setresuid) },
    },
    no_new_privs: self.noNewPrivs,
    seccomp: {
      mode: SECCOMP_MODES[self.seccompMode] ?? "filter",
      filters: self.seccompFilters,
      filter_available: seccomp.ok,
      errno: seccomp.ok ? null : seccomp.errno.name,
      actions_avail: actions === null ? null : actions.trim().split(/\s+/).filter(Boolean),
    },
    landlock: ll.ok ? { abi: ll.value, errno: null } : { abi: null, errno: ll.errno.name },
    userns: userns(),
    lsm: lsm(),
    tty: { legacy_tiocsti: intFile("/proc/sys/dev/tty/legacy_tiocsti"), process_group_leader: isGroupLeader() },
    binary: binary(),
    at_secure: atSecure(),
  },
  };
}
