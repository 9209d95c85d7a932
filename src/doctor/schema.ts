// The `sbx doctor --json` document. The valibot schema is the contract: tests parse real output
// with it, and any change to the shape is a change to this file (bump DOCTOR_SCHEMA_ID when breaking).
import * as v from "valibot";

export const DOCTOR_SCHEMA_ID = "sbx.doctor/1";

const Int = v.pipe(v.number(), v.integer(), v.minValue(0));
const Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/));
/** An errno name such as "EPERM" when a probe was refused; null when it succeeded. */
const Errno = v.nullable(v.string());

export const LEVELS = ["ok", "info", "warn", "fail"] as const;
export type Level = (typeof LEVELS)[number];

export const FindingSchema = v.strictObject({
  /** Stable identifier, e.g. "caps.bounding_drop"; texts may change, ids do not. */
  id: v.pipe(v.string(), v.regex(/^[a-z_]+(\.[a-z_]+)*$/)),
  level: v.picklist(LEVELS),
  /** One line: what was found and what it means for `sbx exec`. */
  text: v.string(),
});
export type Finding = v.InferOutput<typeof FindingSchema>;

const IdSet = v.strictObject({ real: Int, effective: Int, saved: Int, fs: Int });

export const FactsSchema = v.strictObject({
  /** Who runs sbx: without --user, sbx exec keeps these ids. */
  caller: v.strictObject({ uid: IdSet, gid: IdSet }),
  kernel: v.strictObject({
    release: v.string(),
    /** From PR_CAPBSET_READ (works without procfs). */
    last_cap: Int,
    /** /proc/sys/kernel/cap_last_cap; null when unreadable. */
    proc_last_cap: v.nullable(Int),
    last_cap_agrees: v.nullable(v.boolean()),
  }),
  caps: v.strictObject({
    effective: Hex,
    bounding: Hex,
    setpcap_effective: v.boolean(),
    /** PR_CAPBSET_DROP(last_cap + 1): EINVAL means a real drop would be allowed; EPERM refused. */
    bounding_drop: v.strictObject({ droppable: v.boolean(), errno: Errno }),
    setuid_effective: v.boolean(),
    setgid_effective: v.boolean(),
    /** setgroups/setresgid/setresuid made so that they change nothing: the errno when refused. */
    switch: v.strictObject({ setgroups: Errno, setresgid: Errno, setresuid: Errno }),
  }),
  no_new_privs: v.boolean(),
  seccomp: v.strictObject({
    mode: v.picklist(["disabled", "strict", "filter"]),
    filters: v.nullable(Int),
    /** seccomp(SECCOMP_GET_ACTION_AVAIL, ALLOW) answered: filters can be installed. */
    filter_available: v.boolean(),
    errno: Errno,
    /** /proc/sys/kernel/seccomp/actions_avail; null when unreadable. */
    actions_avail: v.nullable(v.array(v.string())),
  }),
  landlock: v.strictObject({ abi: v.nullable(Int), errno: Errno }),
  userns: v.strictObject({
    uid_map: v.nullable(v.array(v.strictObject({ inside: Int, outside: Int, count: Int }))),
    in_user_namespace: v.nullable(v.boolean()),
    setgroups: v.nullable(v.picklist(["allow", "deny"])),
  }),
  lsm: v.strictObject({
    /** /sys/kernel/security/lsm; null when securityfs is not mounted or not readable. */
    active: v.nullable(v.array(v.string())),
    /** /proc/self/attr/current and /proc/self/attr/apparmor/current; null when no LSM provides one. */
    label: v.nullable(v.string()),
    apparmor_label: v.nullable(v.string()),
  }),
  tty: v.strictObject({
    legacy_tiocsti: v.nullable(Int),
    /** This process leads its process group, so sbx exec --new-session (setsid) would fail. */
    process_group_leader: v.boolean(),
  }),
  /** The running sbx executable (/proc/self/exe); null when procfs cannot show it. */
  binary: v.nullable(
    v.strictObject({
      path: v.string(),
      /** Permission bits in octal, e.g. "0755" or "4755". */
      mode: v.pipe(v.string(), v.regex(/^[0-7]{4}$/)),
      uid: Int,
      gid: Int,
      setuid: v.boolean(),
      setgid: v.boolean(),
      /** getcap-style text of security.capability, e.g. "cap_setuid=ep"; null when there are none. */
      file_caps: v.nullable(v.string()),
      /** Set when security.capability could not be read, so file_caps is unknown. */
      file_caps_errno: Errno,
      /** Why non-root could replace the binary (owner, write bits, writable directories); empty when it cannot. */
      replaceable_by_non_root: v.array(v.string()),
    }),
  ),
  at_secure: v.boolean(),
});
export type DoctorFacts = v.InferOutput<typeof FactsSchema>;

export const DoctorReportSchema = v.strictObject({
  schema: v.literal(DOCTOR_SCHEMA_ID),
  ...FactsSchema.entries,
  findings: v.array(FindingSchema),
});
export type DoctorReport = v.InferOutput<typeof DoctorReportSchema>;
