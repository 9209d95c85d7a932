// The `sbx caps --json` document. The valibot schema is the contract: tests parse real output
// with it, and any change to the shape is a change to this file (bump SCHEMA_ID when breaking).
import * as v from "valibot";
import { capNumberOf, DANGEROUS_CAPS } from "../caps/names.ts";
import { hasCap, names, toHex } from "../caps/mask.ts";
import { decodeSecurebits, SECUREBIT_FLAGS } from "../caps/securebits.ts";
import { CAP_SET_NAMES, type ProcessState } from "./types.ts";
import { OCI_SETS, ociCapabilities } from "./oci.ts";

export const SCHEMA_ID = "sbx.caps/1";

const Id = v.pipe(v.number(), v.integer(), v.minValue(0));
const IdSetSchema = v.object({ real: Id, effective: Id, saved: Id, fs: Id });
const CapSetSchema = v.object({
  hex: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/)),
  names: v.array(v.string()),
});
const Flag = v.object({ set: v.boolean(), locked: v.boolean() });

export const CapsReportSchema = v.strictObject({
  schema: v.literal(SCHEMA_ID),
  pid: Id,
  source: v.picklist(["syscalls", "procfs"]),
  uid: IdSetSchema,
  gid: IdSetSchema,
  groups: v.array(Id),
  caps: v.strictObject(Object.fromEntries(CAP_SET_NAMES.map((n) => [n, CapSetSchema])) as {
    [K in (typeof CAP_SET_NAMES)[number]]: typeof CapSetSchema;
  }),
  securebits: v.nullable(
    v.object({
      value: Id,
      flags: v.object(Object.fromEntries(SECUREBIT_FLAGS.map((f) => [f, Flag])) as {
        [K in (typeof SECUREBIT_FLAGS)[number]]: typeof Flag;
      }),
    }),
  ),
  no_new_privs: v.boolean(),
  seccomp: v.object({
    mode: v.picklist(["disabled", "strict", "filter"]),
    filters: v.nullable(Id),
  }),
  dangerous_in_bounding: v.array(v.string()),
  /** The same five sets shaped as OCI's process.capabilities (config.json): arrays of "CAP_*" names. */
  oci_capabilities: v.strictObject(Object.fromEntries(OCI_SETS.map((n) => [n, v.array(v.pipe(v.string(), v.regex(/^CAP_[A-Z0-9_]+$/)))])) as {
    [K in (typeof OCI_SETS)[number]]: v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, undefined>]>, undefined>;
  }),
  kernel: v.object({
    last_cap: Id,
    bounding_set_droppable: v.nullable(v.boolean()),
    bounding_drop_errno: v.nullable(v.string()),
  }),
});

export type CapsReport = v.InferOutput<typeof CapsReportSchema>;

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
