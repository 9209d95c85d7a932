// Parsers for what `sbx doctor` reads from procfs, sysfs and xattrs. Pure, so they are tested on
// fixed input; a malformed input is `undefined`, never a guess.
import { capsOf } from "../caps/mask.ts";
import { capName } from "../caps/names.ts";

export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

/** /proc/<pid>/uid_map or gid_map: lines of "inside outside count". */
export function parseIdMap(text: string): IdMapEntry[] | undefined {
  const out: IdMapEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
    const [inside, outside, count] = parts.map(Number) as [number, number, number];
    out.push({ inside, outside, count });
  }
  return out;
}

/**
 * The initial user namespace maps every id to itself: "0 0 4294967295". Any other map means a
 * user namespace, whose capabilities and ids count only inside it.
 */
export function isInitialUserNs(map: readonly IdMapEntry[]): boolean {
  return map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295;
}

export const formatIdMap = (map: readonly IdMapEntry[]) =>
  map.map((e) => `${e.inside} ${e.outside} ${e.count}`).join(", ") || "empty";

/** An LSM attribute file (attr/current): the label, without the trailing NUL or newline. */
export function parseLabel(text: string): string | undefined {
  const t = text.replace(/[\0\n]+$/, "");
  return t === "" ? undefined : t;
}

/** /sys/kernel/security/lsm: "capability,landlock,yama,apparmor". */
export const parseLsmList = (text: string) => text.trim().split(",").filter(Boolean);

export interface FileCaps {
  permitted: bigint;
  inheritable: bigint;
  effective: boolean;
  /** v3 (namespaced) file caps apply only in the user namespace whose root is this uid. */
  rootid: number | null;
}

const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x1;
/** revision → byte length of struct vfs_cap_data / vfs_ns_cap_data. */
const VFS_CAP_SIZES = new Map([[0x01000000, 12], [0x02000000, 20], [0x03000000, 24]]);

/** The security.capability xattr (struct vfs_cap_data, little-endian). */
export function parseFileCaps(bytes: Uint8Array): FileCaps | undefined {
  if (bytes.length < 4) return undefined;
  const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = d.getUint32(0, true);
  const revision = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  if (VFS_CAP_SIZES.get(revision) !== bytes.length) return undefined;
  const word = (i: number) => BigInt(d.getUint32(4 + 4 * i, true));
  const wide = bytes.length > 12; // v1 has one 32-bit word per set, v2/v3 two
  return {
    permitted: word(0) | (wide ? word(2) << 32n : 0n),
    inheritable: word(1) | (wide ? word(3) << 32n : 0n),
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    rootid: bytes.length === 24 ? d.getUint32(20, true) : null,
  };
}

/**
 * getcap's text for file caps: caps grouped by their flags, e.g. "cap_net_raw,cap_setuid=ep".
 * The effective bit of a file applies to every cap it names, as libcap shows it.
 */
export function formatFileCaps(fc: FileCaps): string {
  const groups = new Map<string, string[]>();
  for (const n of capsOf(fc.permitted | fc.inheritable)) {
    const bit = 1n << BigInt(n);
    const flags = (fc.effective ? "e" : "") + (fc.inheritable & bit ? "i" : "") + (fc.permitted & bit ? "p" : "");
    groups.set(flags, [...(groups.get(flags) ?? []), capName(n)]);
  }
  const text = [...groups].map(([flags, caps]) => `${caps.join(",")}=${flags}`).join(" ") || "=";
  return fc.rootid ? `${text} [rootid=${fc.rootid}]` : text;
}
