// Planning Landlock, pure: the rights to handle, negotiated against the kernel's ABI; each rule's
// rights, checked against the ruleset and the file's type; whether the command can still be
// executed; and the probes that will show the ruleset in force. Every refusal here comes before
// any change. Rights the kernel lacks are refused unless --allow-degraded landlock, which then
// names exactly the rights not enforced.
import { FILE_RIGHTS, RIGHT, rightList, rightNames, rightsOfAbi, abiOf } from "../../landlock/access.ts";
import { type CapMask, hasCap } from "../../caps/mask.ts";
import type { ExecOptions } from "../../options/exec.ts";
import type { ProcessState } from "../../state/types.ts";
import { toText } from "../../text/bytes.ts";
import { quote } from "../../text/quote.ts";
import type { Degraded } from "../degrade.ts";
import { Refusal } from "../refusal.ts";
import type { AccessProbe, FileId, LandlockFacts, PlannedRule, ProbeTarget } from "./types.ts";

const CAP_SYS_ADMIN = 21;

export interface LandlockSay {
  option(key: "landlockAccess" | "landlockRule" | "allowDegraded", value?: string): string;
  keepNnp: string;
}

/** The ruleset as planned, for the runner, --dry-run and the report. */
export interface PlannedLandlock {
  /** The rights the ruleset handles (denied unless a rule allows them); 0 when nothing is enforced. */
  handled: bigint;
  /** The rights asked for that are not enforced (the kernel lacks them; allowed by --allow-degraded landlock). */
  notEnforced: bigint;
  rules: PlannedRule[];
  abi: number | null;
  /** Why the kernel has no Landlock, when it has none (the ABI probe's errno name). */
  abiErrno: string | null;
  probes: AccessProbe[];
  /** Why the probes cannot show the ruleset in force; null when they can. */
  unverifiable: string | null;
  allowedBy: "nnp" | "nnp-inherited" | "cap_sys_admin";
  /** What the --seccomp filter answers Landlock's calls when it denies them (the workload's own rulesets), naming the profile rule; set by plan.ts. */
  underFilter: string | null;
}

/** Rights granted to `chain`'s last file: the union of the rules on it or on any directory above it. */
export function grantedAlong(chain: readonly FileId[], rules: ReadonlyArray<{ id: FileId; access: bigint }>): bigint {
  return rules.reduce((m, r) => (chain.includes(r.id) ? m | r.access : m), 0n);
}

/**
 * The probes for what the ruleset handles. Each needs only a right the ruleset handles and a target
 * the target user can normally reach: read-dir on /dev, read-file and write-file on /dev/null
 * (opened, never read or written), ioctl-dev on /dev/null opened in a mode the ruleset allows.
 */
function probesFor(handled: bigint, rules: ReadonlyArray<{ id: FileId; access: bigint }>, chains: LandlockFacts["chains"]): AccessProbe[] {
  const out: AccessProbe[] = [];
  const add = (right: AccessProbe["right"], target: ProbeTarget, how: AccessProbe["how"]) => {
    const chain = chains[target];
    if (chain === null || (handled & RIGHT[right]) === 0n) return;
    out.push({ right, target, how, expect: grantedAlong(chain, rules) & RIGHT[right] ? "allowed" : "denied" });
  };
  add("read-dir", "/dev", "open-dir");
  add("read-file", "/dev/null", "open-read");
  add("write-file", "/dev/null", "open-write");
  const devnull = chains["/dev/null"];
  if (devnull !== null) {
    const opens = (r: bigint) => (handled & r) === 0n || (grantedAlong(devnull, rules) & r) !== 0n;
    if (opens(RIGHT["read-file"])) add("ioctl-dev", "/dev/null", "ioctl-read");
    else if (opens(RIGHT["write-file"])) add("ioctl-dev", "/dev/null", "ioctl-write");
  }
  return out;
}

export interface LandlockPlanInput {
  options: ExecOptions;
  facts: LandlockFacts;
  state: ProcessState;
  /** The workload's effective set right before execve (null: the caller's, a root workload keeps it). */
  effective: CapMask | null;
  degraded: Degraded[];
  say: LandlockSay;
}

export function planLandlock({ options: o, facts: f, state: s, effective, degraded, say }: LandlockPlanInput): PlannedLandlock {
  const asked = (o.landlockAccess ?? []).reduce((m, a) => m | a.rights, 0n);
  const shownRule = (text: string) => say.option("landlockRule", quote(text));
  const rules = f.rules.map((r) => {
    if (r.access !== null && (r.access & ~asked) !== 0n) {
      throw new Refusal("usage", `${shownRule(r.text)} allows ${rightList(r.access & ~asked)}, which no ${say.option("landlockAccess")} handles: a rule can only allow rights the ruleset handles`);
    }
    if (!r.directory && r.access !== null && (r.access & ~FILE_RIGHTS) !== 0n) {
      throw new Refusal("usage", `${shownRule(r.text)}: ${quote(r.path)} is not a directory, and ${rightList(r.access & ~FILE_RIGHTS)} apply only to a directory's content (a file takes ${rightList(FILE_RIGHTS)})`);
    }
    // The empty form is every handled right the file's type can carry.
    return { ...r, access: r.access ?? (r.directory ? asked : asked & FILE_RIGHTS) };
  });

  const supported = f.abi === null ? 0n : rightsOfAbi(f.abi);
  const missing = asked & ~supported;
  const kernel = f.abi === null ? `this kernel has no Landlock (landlock_create_ruleset: ${f.abiErrno?.name ?? "unknown"}${f.abiErrno?.name === "EOPNOTSUPP" ? ", built in but not enabled at boot" : ""})` : `this kernel's Landlock ABI is ${f.abi}`;
  if (missing !== 0n) {
    const needs = rightNames(missing).map((n) => `${n} (ABI ${abiOf(n)})`).join(", ");
    const what = `${kernel}: it cannot enforce ${needs}`;
    if (!o.allowDegraded!.has("landlock")) {
      throw new Refusal("landlock", `${what}; the workload would run with those accesses unrestricted — ask only for rights it has (${f.abi === null ? "none" : `fs:${rightList(supported & asked)}`}), or accept with ${say.option("allowDegraded", "landlock")}`, "landlock-rights-not-enforced");
    }
    degraded.push({ name: "landlock", reason: `${what}; running with ${missing === asked ? "no Landlock ruleset at all" : `those rights not enforced (handled: ${rightList(asked & supported)})`} (${say.option("allowDegraded", "landlock")})` });
  }
  const handled = asked & supported;
  const planned = rules.map((r) => ({ text: r.text, path: toText(r.path), fd: r.fd, access: r.access & supported, id: r.id }));

  // restrict_self needs no_new_privs, or CAP_SYS_ADMIN at the time (a root workload keeps its effective set until execve).
  const eff = effective ?? s.caps.effective;
  const allowedBy = s.noNewPrivs ? "nnp-inherited" : o.nnp ? "nnp" : hasCap(eff, CAP_SYS_ADMIN) ? "cap_sys_admin" : null;
  if (handled !== 0n && allowedBy === null) {
    throw new Refusal("usage", `${say.option("landlockAccess")} without no_new_privs: the kernel then takes a ruleset only from a thread holding CAP_SYS_ADMIN, which this workload does not hold when sbx enforces it — keep no_new_privs (${say.keepNnp})`);
  }

  // execve opens the command for reading and executing: both must be allowed where it is.
  const needed = handled & (RIGHT.execute | RIGHT["read-file"]);
  if (needed !== 0n && f.command !== null) {
    const lacking = needed & ~grantedAlong(f.command.chain, planned);
    if (lacking !== 0n) {
      const path = toText(f.command.path);
      const dir = path.slice(0, path.lastIndexOf("/")) || "/";
      throw new Refusal("usage", `the Landlock ruleset does not allow ${rightList(lacking)} on ${quote(f.command.path)}, the command: execve would fail with EACCES — add e.g. ${say.option("landlockRule", `path-beneath:${rightList(needed)}:${dir}`)} (its loader and libraries need read-file too)`);
    }
  }

  const probes = handled === 0n ? [] : probesFor(handled, planned, f.chains);
  return {
    handled,
    notEnforced: missing,
    rules: handled === 0n ? [] : planned.map(({ text, path, fd, access }) => ({ text, path, fd, access })),
    abi: f.abi,
    abiErrno: f.abiErrno?.name ?? null,
    probes,
    unverifiable: handled === 0n || probes.some((p) => p.expect === "denied")
      ? null
      : `the ruleset denies none of read-dir on /dev, read-file, write-file, ioctl-dev on /dev/null (it does not handle them, or its rules allow them there), the accesses sbx can try without side effects; that it is in force rests on the kernel accepting landlock_restrict_self`,
    allowedBy: allowedBy ?? "nnp",
    underFilter: null,
  };
}


