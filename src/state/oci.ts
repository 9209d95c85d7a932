// The capability sets shaped as the OCI runtime spec's process.capabilities — the five sets as
// arrays of "CAP_*" names, as in a container's config.json — and `sbx caps --compare`: this state
// against a config.json (or a bare capabilities object). Pure.
import { capName, capNumberOf } from "../caps/names.ts";
import { capBit, capsOf, type CapMask } from "../caps/mask.ts";
import { CAP_SET_NAMES, type CapSetName, type ProcessState } from "./types.ts";

/** OCI's order of the sets. */
export const OCI_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const satisfies readonly CapSetName[];

export type OciCapabilities = Record<(typeof OCI_SETS)[number], string[]>;

/** "CAP_NET_BIND_SERVICE"; a cap above sbx's table is "CAP_41" (OCI has no name for it). */
export const ociCapName = (n: number) => capName(n).toUpperCase();

export function ociCapabilities(s: ProcessState): OciCapabilities {
  return Object.fromEntries(OCI_SETS.map((set) => [set, capsOf(s.caps[set]).map(ociCapName)])) as OciCapabilities;
}

export class CompareInputError extends Error {}

/**
 * The sets a config names: `process.capabilities` of an OCI config.json, or the capabilities
 * object itself (what `sbx caps --json` prints as oci_capabilities). A set the config leaves out
 * is empty, as runc and crun take it.
 */
export function configCapabilities(doc: unknown, where: string): Record<CapSetName, CapMask> {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!obj(doc)) throw new CompareInputError(`${where}: not a JSON object`);
  const process = doc.process;
  const caps = obj(process) && "capabilities" in process ? process.capabilities : "process" in doc ? undefined : doc;
  const at = caps === doc ? "" : ".process.capabilities";
  if (!obj(caps)) throw new CompareInputError(`${where}: no process.capabilities object (an OCI config.json, or the capabilities object itself)`);
  const unknownKeys = Object.keys(caps).filter((k) => !(CAP_SET_NAMES as readonly string[]).includes(k));
  if (unknownKeys.length) throw new CompareInputError(`${where}${at}: unknown capability set ${JSON.stringify(unknownKeys[0])} (valid: ${OCI_SETS.join(", ")})`);
  const out = {} as Record<CapSetName, CapMask>;
  for (const set of CAP_SET_NAMES) {
    const list = caps[set] ?? [];
    if (!Array.isArray(list)) throw new CompareInputError(`${where}${at}.${set}: not an array of CAP_* names`);
    out[set] = list.reduce<CapMask>((m, name, i) => {
      const n = typeof name === "string" ? capNumber(name) : undefined;
      if (n === undefined) throw new CompareInputError(`${where}${at}.${set}[${i}]: unknown capability ${JSON.stringify(name)}`);
      return m | capBit(n);
    }, 0n);
  }
  return out;
}

function capNumber(name: string): number | undefined {
  const m = /^CAP_([A-Z_]+|\d+)$/.exec(name);
  if (!m) return undefined;
  return /^\d+$/.test(m[1]!) ? Number(m[1]) : capNumberOf(m[1]!.toLowerCase());
}

/** One line per set that differs: what the config has that this state does not, and the other way round. */
export function compareCapabilities(s: ProcessState, config: Record<CapSetName, CapMask>, where: string): string[] {
  return OCI_SETS.flatMap((set) => {
    const missing = config[set] & ~s.caps[set];
    const extra = s.caps[set] & ~config[set];
    if (missing === 0n && extra === 0n) return [];
    const parts = [
      ...(missing ? [`missing ${capsOf(missing).map(ociCapName).join(",")} (in ${where}, not here)`] : []),
      ...(extra ? [`extra ${capsOf(extra).map(ociCapName).join(",")} (here, not in ${where})`] : []),
    ];
    return [`${set}: ${parts.join("; ")}`];
  });
}
