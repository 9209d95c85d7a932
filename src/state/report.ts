// The `sbx caps --json` document. The valibot schema is the contract: tests parse real output
// with it, and any change to the shape is a change to this file (bump SCHEMA_ID when breaking).
// The document itself is built by capsReport.ts, which `sbx caps` loads without this schema.
import * as v from "valibot";
import { SECUREBIT_FLAGS } from "../caps/securebits.ts";
import { SCHEMA_ID } from "./capsReport.ts";
import { CAP_SET_NAMES } from "./types.ts";
import { OCI_SETS } from "./oci.ts";

export { dangerousInBounding, formatReport, type KernelFacts, SCHEMA_ID, toReport } from "./capsReport.ts";

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

