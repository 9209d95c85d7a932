// From facts to findings: each says what was found and what it means for `sbx exec`. Pure.
//
// Levels: ok — as sbx exec wants it; info — worth knowing, changes nothing by default;
// warn — the sbx installation is unsafe or cannot be checked; fail — sbx exec will refuse
// here with its defaults unless the weakness is allowed by name (--allow-degraded).
import { capName, TABLE_LAST_CAP } from "../caps/names.ts";
import { EXIT } from "../exitCodes.ts";
import { fromText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { formatIdMap } from "./parse.ts";
import type { DoctorFacts, Finding, Level } from "./schema.ts";

const f = (id: string, level: Level, text: string): Finding => ({ id, level, text });

function kernel(k: DoctorFacts["kernel"]): Finding {
  const head = `kernel ${k.release}: last capability ${k.last_cap} (${capName(k.last_cap)})`;
  if (k.proc_last_cap === null) {
    return f("kernel.last_cap", "info", `${head}; /proc/sys/kernel/cap_last_cap is unreadable, sbx exec uses the syscall probe`);
  }
  if (!k.last_cap_agrees) {
    return f("kernel.last_cap", "warn", `${head} by PR_CAPBSET_READ, but /proc/sys/kernel/cap_last_cap says ${k.proc_last_cap}: this procfs is not trustworthy; sbx exec uses the syscall answer`);
  }
  if (k.last_cap > TABLE_LAST_CAP) {
    return f("kernel.last_cap", "info", `${head}; caps ${TABLE_LAST_CAP + 1}..${k.last_cap} are newer than sbx's table: sbx exec clears them as cap_N`);
  }
  return f("kernel.last_cap", "ok", `${head}; syscall probe and /proc/sys/kernel/cap_last_cap agree`);
}

function setpcap(c: DoctorFacts["caps"]): Finding {
  return c.setpcap_effective
    ? f("caps.setpcap", "ok", "CAP_SETPCAP is effective: sbx exec can change the bounding set and securebits")
    : f("caps.setpcap", "info", "CAP_SETPCAP is not effective: the bounding set and securebits cannot be changed (grant it to the container, e.g. --cap-add SETPCAP)");
}

/** Any of the caller's uids is 0: without --user, sbx exec's target is root. */
const callerIsRoot = (x: DoctorFacts) => [x.caller.uid.real, x.caller.uid.effective, x.caller.uid.saved, x.caller.uid.fs].includes(0);

/**
 * What sbx exec does with a bounding set it cannot drop: for a non-root target under no_new_privs
 * it is inert (runs, not degraded); a root target is refused. The level is for sbx exec's default
 * target, the caller itself.
 */
function boundingDrop(x: DoctorFacts): Finding {
  const c = x.caps;
  const id = "caps.bounding_drop";
  if (BigInt("0x" + c.bounding) === 0n) return f(id, "ok", "bounding set is already empty: nothing for sbx exec to clear");
  if (c.bounding_drop.droppable) return f(id, "ok", "bounding set can be cleared: sbx exec will empty it (or keep only what --bounding-set names)");
  const cause = c.setpcap_effective
    ? `PR_CAPBSET_DROP is refused (${c.bounding_drop.errno}) although CAP_SETPCAP is effective: an LSM (AppArmor/SELinux) or a seccomp filter denies it`
    : `bounding set cannot be cleared here (PR_CAPBSET_DROP: ${c.bounding_drop.errno}, no CAP_SETPCAP)`;
  if (!callerIsRoot(x)) {
    return f(id, "info", `${cause}; this process runs as uid ${x.caller.uid.effective}, not root, so sbx exec keeps it as inert, not degraded, under no_new_privs (refused, 209, with --allow-new-privs)`);
  }
  return f(id, "fail", `${cause}; sbx exec keeps it, as inert and not degraded, for a non-root target under no_new_privs (e.g. --user app), and refuses (209) for a root target unless --allow-degraded bounding`);
}

/** Can sbx exec --user switch identities here? Asked without changing anything. */
function identitySwitch(x: DoctorFacts): Finding {
  const id = "caps.switch";
  if (!callerIsRoot(x)) {
    return f(id, "info", `this process runs as uid ${x.caller.uid.effective} gid ${x.caller.gid.effective}: sbx exec keeps these ids, and --user for any other user is refused (202)`);
  }
  const lacking = [...(x.caps.setuid_effective ? [] : ["CAP_SETUID"]), ...(x.caps.setgid_effective ? [] : ["CAP_SETGID"])];
  if (lacking.length) return f(id, "fail", `${lacking.join(" and ")} not effective: sbx exec --user for another user is refused (202); grant ${lacking.join(" and ")} (e.g. Kubernetes capabilities.add: [SETUID, SETGID])`);
  const sw = x.caps.switch;
  const refused = [
    ...(sw.setgroups && x.userns.setgroups !== "deny" ? [[`setgroups: ${sw.setgroups}`, "207"]] : []),
    ...(sw.setresgid ? [[`setresgid: ${sw.setresgid}`, "208"]] : []),
    ...(sw.setresuid ? [[`setresuid: ${sw.setresuid}`, "211"]] : []),
  ];
  if (refused.length) {
    return f(id, "fail", `the identity calls are refused although the capabilities are held (${refused.map((r) => r[0]).join(", ")}; asked so as to change nothing): an outer seccomp filter or an LSM denies them, so sbx exec --user fails (${refused.map((r) => r[1]).join("/")})`);
  }
  return f(id, "ok", "CAP_SETUID and CAP_SETGID are effective and setgroups/setresgid/setresuid are let through: sbx exec --user can switch");
}

function nnp(set: boolean): Finding {
  return set
    ? f("nnp", "info", "no_new_privs is already set and cannot be unset: the workload gains nothing from setuid or file-capability programs, even with sbx exec --allow-new-privs")
    : f("nnp", "ok", "no_new_privs is not set yet: sbx exec sets it unless --allow-new-privs");
}

function seccomp(s: DoctorFacts["seccomp"]): Finding {
  const actions = `kernel actions: ${s.actions_avail?.join(" ") ?? "unknown, /proc/sys/kernel/seccomp/actions_avail unreadable"}`;
  if (!s.filter_available) {
    const why = s.errno === "ENOSYS" ? "this kernel has no seccomp, or sbx runs under an emulator such as qemu-user" : "an outer filter, an LSM or the kernel's configuration refuses it";
    // Plain sbx exec needs no filter: only --seccomp does.
    return f("seccomp", "info", `seccomp filters are unavailable (seccomp(2): ${s.errno}: ${why}): plain sbx exec runs, sbx exec --seccomp refuses (216) unless --allow-degraded seccomp`);
  }
  if (s.mode !== "disabled") {
    return f("seccomp", "info", `already under ${s.filters ?? "an unknown number of"} seccomp filter(s) from the caller: they stay in force, and sbx exec --seccomp stacks its own on top (${actions})`);
  }
  return f("seccomp", "ok", `seccomp filters are available, none installed yet (${actions})`);
}

function landlock(l: DoctorFacts["landlock"]): Finding {
  const note = "what sbx exec --landlock-access negotiates against, and what workloads that sandbox themselves get";
  if (l.abi !== null) return f("landlock", "ok", `Landlock ABI ${l.abi} is available (${note})`);
  const why =
    l.errno === "ENOSYS" ? "the kernel has no Landlock (before 5.13 or built without it), or a seccomp filter hides the call"
    : l.errno === "EOPNOTSUPP" ? "Landlock is built in but disabled at boot (add landlock to the lsm= kernel parameter)"
    : "the probe was refused";
  return f("landlock", "info", `Landlock is unavailable (${l.errno}: ${why}); ${note}`);
}

function userns(u: DoctorFacts["userns"]): Finding[] {
  const out: Finding[] = [];
  if (u.uid_map === null) {
    out.push(f("userns", "info", "/proc/self/uid_map is unreadable: whether this is a user namespace is unknown"));
  } else if (u.in_user_namespace) {
    out.push(f("userns", "info", `in a user namespace (uid_map: ${formatIdMap(u.uid_map)}): capabilities act only inside it, and sbx exec can switch only to mapped ids`));
  } else {
    out.push(f("userns", "ok", "not in a user namespace (uid_map is the identity)"));
  }
  if (u.setgroups === "deny") {
    out.push(f("userns.setgroups", "fail", "setgroups(2) is denied in this user namespace (/proc/self/setgroups: deny): sbx exec cannot set supplementary groups and will refuse unless --allow-degraded groups"));
  }
  return out;
}

function lsm(l: DoctorFacts["lsm"]): Finding {
  const active = `active LSMs: ${l.active?.join(",") ?? "unknown, /sys/kernel/security/lsm unreadable"}`;
  const label = l.apparmor_label ?? l.label;
  if (label === null) return f("lsm", "ok", `no LSM label on this process (${active})`);
  if (label === "unconfined") return f("lsm", "ok", `not confined by an LSM profile: unconfined (${active})`);
  return f("lsm", "info", `confined by LSM label "${label}": its policy can refuse capability operations that CapEff allows, which caps.bounding_drop already reflects (${active})`);
}

function tiocsti(value: number | null, leader: boolean): Finding {
  const id = "tty.legacy_tiocsti";
  // setsid fails for a process-group leader, which PID 1 under `docker run -t` is.
  const remedy = leader
    ? "run the workload under a seccomp profile that denies TIOCSTI (sbx exec --seccomp default); --new-session cannot work here, this process leads its process group (setsid: EPERM, 206)"
    : "run the workload under a seccomp profile that denies TIOCSTI (sbx exec --seccomp default), or with sbx exec --new-session where sbx does not lead its process group (PID 1 under docker run -t does)";
  if (value === 0) return f(id, "ok", "dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI input injection");
  if (value === null) return f(id, "info", `dev.tty.legacy_tiocsti is absent (kernel before 6.2, where TIOCSTI always works) or unreadable: ${remedy} when it shares a terminal`);
  return f(id, "info", `dev.tty.legacy_tiocsti=${value}: a workload sharing the caller's terminal can inject input into it with TIOCSTI; ${remedy}`);
}

function binary(b: DoctorFacts["binary"]): Finding[] {
  if (b === null) {
    return [f("binary", "warn", "cannot inspect the sbx binary through /proc/self/exe (procfs not mounted?): its installation is unchecked")];
  }
  const never = "sbx must never be installed that way";
  // The path is the kernel's, but it names files anyone may have created: shown escaped.
  const path = quote(fromText(b.path));
  const out: Finding[] = [];
  if (b.setuid) out.push(f("binary.setuid", "warn", `${path} is setuid (mode ${b.mode}): ${never}, and sbx exec refuses to run (chmod u-s ${path})`));
  if (b.setgid) out.push(f("binary.setgid", "warn", `${path} is setgid (mode ${b.mode}): ${never}, and sbx exec refuses to run (chmod g-s ${path})`));
  if (b.file_caps !== null) out.push(f("binary.file_caps", "warn", `${path} has file capabilities (${b.file_caps}): ${never}, and sbx exec refuses to run (setcap -r ${path})`));
  if (b.file_caps_errno !== null) out.push(f("binary.file_caps", "warn", `cannot read security.capability of ${path} (${b.file_caps_errno}): whether it has file capabilities is unchecked`));
  if (b.replaceable_by_non_root.length) {
    out.push(f("binary.writable", "warn", `${path} can be replaced by non-root (${b.replaceable_by_non_root.map((r) => quote(fromText(r)).slice(1, -1)).join("; ")}): whoever does runs code as root at the next start; install it root-owned and not group/world-writable`));
  }
  if (!out.length) out.push(f("binary", "ok", `${path}: root-owned, not replaceable by non-root, no setuid/setgid bits or file capabilities`));
  return out;
}

function atSecure(set: boolean): Finding {
  return set
    ? f("at_secure", "warn", "AT_SECURE is set: sbx was started across a privilege boundary (setuid, setgid or file capabilities); sbx exec refuses to run")
    : f("at_secure", "ok", "AT_SECURE is not set: sbx was started as an ordinary program");
}

export function findingsOf(x: DoctorFacts): Finding[] {
  return [
    kernel(x.kernel),
    setpcap(x.caps),
    boundingDrop(x),
    identitySwitch(x),
    nnp(x.no_new_privs),
    seccomp(x.seccomp),
    landlock(x.landlock),
    ...userns(x.userns),
    lsm(x.lsm),
    tiocsti(x.tty.legacy_tiocsti, x.tty.process_group_leader),
    ...binary(x.binary),
    atSecure(x.at_secure),
  ];
}

/** 0 when nothing needs attention; 1 when any finding is warn or fail. */
export function exitCodeOf(findings: readonly Finding[]): number {
  return findings.some((x) => x.level === "warn" || x.level === "fail") ? EXIT.ASSERTION : EXIT.OK;
}
