// Verification: the state read back from the kernel on this thread against the plan. The
// comparison is pure (tested without privileges); reading is one call to readSelfState plus the
// "can we get root back?" probe. It runs before the seccomp install, whose filter may deny these
// reads; the filter itself is verified right after it is installed (afterInstall.ts).
import { capBit, type CapMask, names, toHex } from "../caps/mask.ts";
import { securebitMask } from "../caps/securebits.ts";
import { setresgid, setresuid } from "../sys/creds.ts";
import { errnoName } from "../sys/errno.ts";
import { readSelfState } from "../state/self.ts";
import type { IdSet, ProcessState } from "../state/types.ts";
import type { StepDownPlan } from "./types.ts";

const CAP_SETGID = 6;
const CAP_SETUID = 7;
const KEEP_CAPS = securebitMask("keep_caps");

/** What this thread must look like right before execve. null fields are not checked. */
export interface ExpectedNow {
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  bounding: CapMask;
  inheritable: CapMask;
  ambient: CapMask;
  permitted: CapMask | null;
  effective: CapMask | null;
  securebits: number;
  noNewPrivs: boolean;
}

/** What actually happened where the plan allowed it to differ (degradations). */
export interface Achieved {
  groupsSet: boolean;
  /** The bounding set left after a degraded drop; null when the drop went as planned. */
  residualBounding: CapMask | null;
  noNewPrivsSet: boolean;
}

export function expectedNow(plan: StepDownPlan, before: ProcessState, got: Achieved): ExpectedNow {
  const id = plan.identity;
  const all = (n: number): IdSet => ({ real: n, effective: n, saved: n, fs: n });
  return {
    uid: id ? all(id.uid) : before.uid,
    gid: id ? all(id.gid) : before.gid,
    groups: plan.setGroups && got.groupsSet ? plan.setGroups : before.groups,
    bounding: got.residualBounding ?? plan.caps.bounding,
    inheritable: plan.caps.inheritable,
    ambient: plan.caps.ambient,
    permitted: plan.caps.permitted,
    effective: plan.caps.effective,
    // keep-caps was switched off again after capset; execve would clear it anyway.
    securebits: (plan.securebits ?? before.securebits ?? 0) & ~(plan.keepCaps ? KEEP_CAPS : 0),
    noNewPrivs: before.noNewPrivs || (plan.noNewPrivs && got.noNewPrivsSet),
  };
}

const idsText = (x: IdSet) => `${x.real}/${x.effective}/${x.saved}/${x.fs}`;
const sameIds = (a: IdSet, b: IdSet) => idsText(a) === idsText(b);
const capsText = (m: CapMask) => `${toHex(m)} (${names(m).join(",") || "none"})`;

/** One line per property that differs, naming it, the expected and the actual value. */
export function compareState(want: ExpectedNow, got: ProcessState): string[] {
  const out: string[] = [];
  if (!sameIds(want.uid, got.uid)) out.push(`uid is ${idsText(got.uid)} (real/effective/saved/fs), expected ${idsText(want.uid)}`);
  if (!sameIds(want.gid, got.gid)) out.push(`gid is ${idsText(got.gid)}, expected ${idsText(want.gid)}`);
  const sorted = (g: number[]) => [...new Set(g)].sort((a, b) => a - b).join(",");
  if (sorted(want.groups) !== sorted(got.groups)) out.push(`groups are [${sorted(got.groups)}], expected [${sorted(want.groups)}]`);
  const caps: Array<[string, CapMask | null, CapMask]> = [
    ["bounding", want.bounding, got.caps.bounding],
    ["inheritable", want.inheritable, got.caps.inheritable],
    ["ambient", want.ambient, got.caps.ambient],
    ["permitted", want.permitted, got.caps.permitted],
    ["effective", want.effective, got.caps.effective],
  ];
  for (const [set, w, g] of caps) {
    if (w !== null && w !== g) out.push(`${set} set is ${capsText(g)}, expected ${capsText(w)}`);
  }
  if (got.securebits !== want.securebits) out.push(`securebits are 0x${(got.securebits ?? 0).toString(16)}, expected 0x${want.securebits.toString(16)}`);
  if (got.noNewPrivs !== want.noNewPrivs) out.push(`no_new_privs is ${got.noNewPrivs ? 1 : 0}, expected ${want.noNewPrivs ? 1 : 0}`);
  return out;
}

/**
 * Try to get root back. Only meaningful when the workload is not root and holds neither
 * CAP_SETUID nor CAP_SETGID: then both calls must fail with EPERM, and success is fatal.
 */
function regainRoot(want: ExpectedNow): string[] {
  const out: string[] = [];
  const eff = want.effective ?? 0n;
  if (want.uid.effective !== 0 && (eff & capBit(CAP_SETUID)) === 0n) {
    const r = setresuid(0);
    if (r.ok) out.push("setresuid(0) succeeded: the process can become root again");
    else if (errnoName(r.errno) !== "EPERM") out.push(`setresuid(0) failed with ${errnoName(r.errno)}, expected EPERM`);
  }
  if (want.gid.effective !== 0 && (eff & capBit(CAP_SETGID)) === 0n) {
    const r = setresgid(0);
    if (r.ok) out.push("setresgid(0) succeeded: the process can switch to gid 0 again");
    else if (errnoName(r.errno) !== "EPERM") out.push(`setresgid(0) failed with ${errnoName(r.errno)}, expected EPERM`);
  }
  return out;
}

/** Read everything back; returns the state and the list of differences (empty = verified). */
export function verifyNow(want: ExpectedNow, lastCap: number): { state: ProcessState; problems: string[] } {
  const state = readSelfState(lastCap);
  return { state, problems: [...compareState(want, state), ...regainRoot(want)] };
}
