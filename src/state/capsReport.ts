// The `sbx caps --json` document and its text form, built from a ProcessState. Its shape is the
// valibot schema CapsReportSchema in report.ts; this module does not load the schema, so that
// `sbx caps` does not construct it on every run.
import { capNumberOf, DANGEROUS_CAPS } from "../caps/names.ts";
import { hasCap, names, toHex } from "../caps/mask.ts";
import { decodeSecurebits, SECUREBIT_FLAGS } from "../caps/securebits.ts";
import type { CapsReport } from "./report.ts";
import { ociCapabilities } from "./oci.ts";
import { CAP_SET_NAMES, type ProcessState } from "./types.ts";

export const SCHEMA_ID = "sbx.caps/1";

const SECCOMP_MODES = ["disabled", "strict", "filter"] as const;

export interface KernelFacts {
  lastCap: number;
  /** Only meaningful for this process; null when reporting another pid. */
  boundingDroppable: boolean | null;
  boundingDropErrno: string | null;
}

export function dangerousInBounding(s: ProcessState): string[] {
  return DANGEROUS_CAPS.filter((n) => hasCap(s.caps.bounding, capNumberOf(n)!)).map((n) => `cap_${n}`);
}

export function toReport(s: ProcessState, k: KernelFacts): CapsReport {
  const caps = Object.fromEntries(
    CAP_SET_NAMES.map((n) => [n, { hex: toHex(s.caps[n]), names: names(s.caps[n]) }]),
  ) as CapsReport["caps"];
  return {
    schema: SCHEMA_ID,
    pid: s.pid,
    source: s.source,
    uid: s.uid,
    gid: s.gid,
    groups: s.groups,
    caps,
    securebits: s.securebits === null ? null : { value: s.securebits, flags: decodeSecurebits(s.securebits) },
    no_new_privs: s.noNewPrivs,
    seccomp: { mode: SECCOMP_MODES[s.seccompMode] ?? "filter", filters: s.seccompFilters },
    dangerous_in_bounding: dangerousInBounding(s),
    oci_capabilities: ociCapabilities(s),
    kernel: {
      last_cap: k.lastCap,
      bounding_set_droppable: k.boundingDroppable,
      bounding_drop_errno: k.boundingDropErrno,
    },
  };
}

/** Human text in the spirit of `capsh --print` and `setpriv -d`. */
export function formatReport(r: CapsReport): string {
  const ids = (x: CapsReport["uid"]) => `real=${x.real} effective=${x.effective} saved=${x.saved} fs=${x.fs}`;
  const label = (n: string) => (n[0]!.toUpperCase() + n.slice(1) + ":").padEnd(13);
  const lines = [
    `pid ${r.pid} (${r.source === "syscalls" ? "this thread, read by system calls" : "from /proc/" + r.pid + "/status"})`,
    `uid: ${ids(r.uid)}`,
    `gid: ${ids(r.gid)}`,
    `groups: ${r.groups.length ? r.groups.join(" ") : "[none]"}`,
    ...CAP_SET_NAMES.map((n) => `${label(n)}${r.caps[n].hex} = ${r.caps[n].names.join(",") || "[none]"}`),
    r.securebits === null
      ? "Securebits:  unknown (not readable for another process)"
      : `Securebits:  0x${r.securebits.value.toString(16)} ` +
        SECUREBIT_FLAGS.map((f) => {
          const b = r.securebits!.flags[f];
          return `${f}=${b.set ? "yes" : "no"}${b.locked ? "(locked)" : ""}`;
        }).join(" "),
    `NoNewPrivs:  ${r.no_new_privs ? 1 : 0}`,
    `Seccomp:     ${r.seccomp.mode} (filters: ${r.seccomp.filters ?? "unknown, procfs unavailable"})`,
    `Dangerous caps in bounding set: ${r.dangerous_in_bounding.join(",") || "[none]"}`,
    `Kernel last cap: ${r.kernel.last_cap}`,
  ];
  if (r.kernel.bounding_set_droppable !== null) {
    lines.push(
      `Bounding set droppable: ${r.kernel.bounding_set_droppable ? "yes" : `no (${r.kernel.bounding_drop_errno}: CAP_SETPCAP unavailable or an LSM refuses it)`}`,
    );
  }
  return lines.join("\n") + "\n";
}
