// `--dry-run` text and the report's `applied`: what each operation does, in words, rendered from
// the operation itself, so the text cannot drift from what runs. Then the workload's predicted
// state after execve.
import { names, toHex } from "../caps/mask.ts";
import { decodeSecurebits, SECUREBIT_FLAGS } from "../caps/securebits.ts";
import { STEP_OF } from "../stepdown/exitCodes.ts";
import type { Op, OpOf } from "../stepdown/ops.ts";
import type { StepDownPlan } from "../stepdown/plan.ts";
import { CAP_SET_NAMES } from "../state/types.ts";
import { signalName } from "../sys/signals.ts";
import { listText, quote } from "../text/quote.ts";
import { rightList } from "../landlock/access.ts";
import { limitText, ociName, umaskText } from "../limits/rlimit.ts";
import type { LimitOp } from "../stepdown/ops.ts";
import type { AccessProbe } from "../stepdown/landlock/types.ts";

const limits = (ls: readonly LimitOp[], hard = false) =>
  ls.map((l) => `${ociName(l.name)}=${hard ? `(soft kept):${limitText(l.hard)}` : `${limitText(l.soft)}:${limitText(l.hard)}`}`).join(", ");
const probeText = (p: AccessProbe) => `${p.right} on ${p.target} ${p.expect}`;

const capList = (m: bigint) => names(m).join(",") || "none";

const TEXT: { [K in Op["kind"]]: (op: OpOf<K>, plan: StepDownPlan) => string } = {
  fds: (op) => (op.keep.length ? `fds ${op.keep[0]}-${op.keep.at(-1)} kept (LISTEN_FDS/--preserve-fds); every other fd from ${op.from} up close-on-exec` : "every fd from 3 up close-on-exec; fds 0-2 kept"),
  setsid: () => "setsid()",
  rlimitRaise: (op) => `prlimit raise hard limits while CAP_SYS_RESOURCE is held: ${limits(op.limits, true)}`,
  rlimits: (op) => `prlimit ${limits(op.limits)} (soft:hard), then read each back`,
  umask: (op) => `umask(${umaskText(op.mask)}), then read back (umask, /proc/thread-self/status)`,
  landlock: (op, plan) => {
    const l = plan.landlock!;
    const rules = op.rules.length ? op.rules.map((r) => `${quote(r.path)} (${rightList(r.access)})`).join(", ") : "no rule: every handled access denied";
    const how = { nnp: "no_new_privs set first", "nnp-inherited": "no_new_privs already set by the caller", cap_sys_admin: "WITHOUT no_new_privs: CAP_SYS_ADMIN is still effective" }[l.allowedBy];
    const proof = op.probes.length ? `probe as the target before and after: ${op.probes.map(probeText).join("; ")}` : `not verifiable by a probe: ${l.unverifiable}`;
    return `Landlock ruleset (ABI ${l.abi}) handling ${rightList(op.handled)}; allow ${rules}; landlock_restrict_self (${how}); ${proof}`;
  },
  setgroups: (op, plan) => `setgroups(${listText(op.groups)}) (rule: ${plan.identity?.groupsRule})`,
  setresgid: (op) => `setresgid(${op.gid}, ${op.gid}, ${op.gid})`,
  capbsetDrop: (op) => `PR_CAPBSET_DROP ${op.caps.length} caps (${op.caps.map((c) => names(1n << BigInt(c))[0]).join(",")})${op.caps.at(-1) === 8 ? ", cap_setpcap last" : ""} → ${toHex(op.result)}`,
  securebits: (op) => `PR_SET_SECUREBITS(0x${op.bits.toString(16)})`,
  keepCaps: () => "PR_SET_KEEPCAPS(1) so the requested caps survive setresuid",
  setresuid: (op) => `setresuid(${op.uid}, ${op.uid}, ${op.uid})`,
  caps: (op) => {
    const pe = op.permitted === null ? "unchanged (root: execve derives them from the bounding set)" : toHex(op.permitted);
    const ambient = !op.ambientSet ? "; no ambient set on this kernel" : `; ambient cleared${op.ambient.length ? `, raise ${op.ambient.map((c) => names(1n << BigInt(c))[0]).join(",")}` : ""}`;
    return `capset(permitted=effective=${pe}, inheritable=${toHex(op.inheritable)})${op.clearKeepCaps ? ", keep-caps off" : ""}${ambient}`;
  },
  pdeathsig: (op) => `PR_SET_PDEATHSIG(${signalName(op.signal)}) (after the uid change, which clears it)`,
  chdir: (op) => `chdir(${quote(op.dir)}) as the target user`,
  nnp: () => "PR_SET_NO_NEW_PRIVS(1)",
  verify: (op) =>
    `read back ids, groups, capget, bounding and ambient 0..63, securebits, no_new_privs, cross-checked with /proc/thread-self/status${op.expected.regain.uid ? "; setresuid(0) must fail" : ""}${op.expected.regain.gid ? "; setresgid(0) must fail" : ""}`,
  lookup: (op) => `look up ${quote(op.command)} in PATH as the target user`,
  renderReport: () => "build the JSON report (before the filter: after it only the calls it was checked for may run)",
  seccomp: (op, plan) => {
    const f = op.filter;
    const skipped = f.warnings.length ? `, ${f.warnings.length} warning${f.warnings.length > 1 ? "s" : ""}` : "";
    const what = `"${f.profile}" (${f.source}, ${f.instructions} instructions, sha256 ${f.sha256.slice(0, 16)}…${skipped})`;
    const how = {
      nnp: `no_new_privs set first, step ${plan.ops.findIndex((o) => o.kind === "nnp") + 1}`,
      "nnp-inherited": "no_new_privs already set by the caller",
      cap_sys_admin: "WITHOUT no_new_privs, --allow-new-privs: the kernel takes it because CAP_SYS_ADMIN is still effective",
    }[plan.seccomp!.allowedBy];
    const count = plan.callerFilters === null ? "" : `, Seccomp_filters ${plan.callerFilters} → ${plan.callerFilters + 1}`;
    return `install ${what} on this thread after the PATH lookup, right before execve (${how}); then verify it is in force (PR_GET_SECCOMP${count})`;
  },
  writeReport: (op) => `write the JSON report to ${op.to}`,
  resetSignals: () => "empty the signal mask; reset ignored signals to default (after sbx's last own write)",
  execve: () => "execve in place (same pid)",
};

/** What `op` does, in one line. */
export function describeOp(op: Op, plan: StepDownPlan): string {
  return (TEXT[op.kind] as (op: Op, plan: StepDownPlan) => string)(op, plan);
}

export function formatPlan(plan: StepDownPlan, execPath: string): string {
  const p = plan.predicted;
  const ids = (x: typeof p.uid) => `real=${x.real} effective=${x.effective} saved=${x.saved} fs=${x.fs}`;
  const sb = decodeSecurebits(p.securebits);
  const flags = SECUREBIT_FLAGS.filter((f) => sb[f].set || sb[f].locked)
    .map((f) => `${f}${sb[f].locked ? "(locked)" : ""}`)
    .join(",");
  const lines = [
    "plan (nothing has been changed; checked already: sbx's own install, AT_SECURE, the working directory, the kernel's answers):",
    ...plan.ops.map((op, i) => `  ${String(i + 1).padStart(2)}. ${STEP_OF[op.kind].padEnd(10)} ${describeOp(op, plan)}`),
    ...plan.notes.map((n) => `  note: ${n}`),
    `workload: ${execPath} ${JSON.stringify(plan.workload.argv.map((a) => quote(a).slice(1, -1)))}`,
    "predicted state after execve (binary without file capabilities or setuid bit):",
    `  uid: ${ids(p.uid)}`,
    `  gid: ${ids(p.gid)}`,
    `  groups: ${p.groups.length ? p.groups.join(" ") : "[none]"}`,
    ...CAP_SET_NAMES.map((n) => `  ${(n + ":").padEnd(13)}${toHex(p.caps[n])} = ${capList(p.caps[n]) === "none" ? "[none]" : capList(p.caps[n])}`),
    `  securebits:  0x${p.securebits.toString(16)}${flags ? ` (${flags})` : ""}`,
    `  no_new_privs: ${p.noNewPrivs ? 1 : 0}`,
    `  seccomp: ${plan.seccomp?.install ? `filter "${plan.seccomp.profile}" installed by sbx (mode ${p.seccompMode}, on top of the caller's)` : "unchanged from the caller"}`,
    ...(plan.boundingInert ? [`  bounding set kept, inert (not degraded): ${plan.boundingInert}`] : []),
    ...(plan.umask !== null ? [`  umask: ${umaskText(plan.umask)}`] : []),
    ...(plan.rlimits.length ? [`  rlimits: ${limits(plan.rlimits)}`] : []),
    ...(plan.landlock
      ? [`  landlock: ${plan.landlock.handled === 0n ? "none (NOT enforced)" : `handles ${rightList(plan.landlock.handled)}`}${plan.landlock.notEnforced ? `; not enforced: ${rightList(plan.landlock.notEnforced)}` : ""}`]
      : []),
  ];
  return lines.join("\n") + "\n";
}

