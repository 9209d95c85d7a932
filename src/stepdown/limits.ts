// Planning --rlimit and --umask, pure. A hard limit above the current one needs CAP_SYS_RESOURCE,
// so it is raised early, while the caller's capabilities are held (rlimitRaise); every limit gets
// its final value late, after the identity is verified and the command found, so that sbx's own
// runtime runs under the workload's limits (an address-space or file-size limit, say) as briefly
// as possible: lowering a limit, or a soft limit up to the hard one, needs no privilege.
import { type CapMask, hasCap } from "../caps/mask.ts";
import { limitText, ociName, type RlimitRequest } from "../limits/rlimit.ts";
import { quote } from "../text/quote.ts";
import type { LimitOp } from "./ops.ts";
import { Refusal } from "./refusal.ts";

const CAP_SYS_RESOURCE = 24;
const NOFILE = 7;

export interface LimitFacts {
  /** The current limits of the asked resources, by resource number. */
  current: ReadonlyMap<number, { soft: bigint; hard: bigint }>;
  /** /proc/sys/fs/nr_open: the highest RLIMIT_NOFILE the kernel takes, even with CAP_SYS_RESOURCE; null when unreadable. */
  nrOpen: number | null;
}

export interface PlannedLimits {
  raise: LimitOp[];
  set: LimitOp[];
}

export function planLimits(asked: readonly RlimitRequest[], f: LimitFacts, effective: CapMask, shown: (text: string) => string): PlannedLimits {
  const seen = new Map<number, RlimitRequest>();
  const raise: LimitOp[] = [];
  for (const r of asked) {
    const before = seen.get(r.resource);
    if (before) throw new Refusal("usage", `${shown(quote(before.text))} and ${shown(quote(r.text))} both set ${ociName(r.name)}: give each resource once`);
    seen.set(r.resource, r);
    const cur = f.current.get(r.resource)!;
    if (r.resource === NOFILE && f.nrOpen !== null && r.hard !== 0xffffffffffffffffn && r.hard > BigInt(f.nrOpen)) {
      throw new Refusal("rlimits", `${shown(quote(r.text))}: the kernel takes at most ${f.nrOpen} open files (fs.nr_open), even with CAP_SYS_RESOURCE`);
    }
    if (r.resource === NOFILE && f.nrOpen !== null && r.hard === 0xffffffffffffffffn) {
      throw new Refusal("rlimits", `${shown(quote(r.text))}: RLIMIT_NOFILE cannot be unlimited; the kernel takes at most ${f.nrOpen} (fs.nr_open)`);
    }
    if (r.hard > cur.hard) {
      if (!hasCap(effective, CAP_SYS_RESOURCE)) {
        throw new Refusal(
          "rlimits",
          `${shown(quote(r.text))}: raising the hard limit of ${ociName(r.name)} from ${limitText(cur.hard)} to ${limitText(r.hard)} needs CAP_SYS_RESOURCE, which this process does not have in its effective set (container runtimes often drop it); ask for a hard limit of at most ${limitText(cur.hard)}`,
          "rlimit-not-raised",
        );
      }
      raise.push({ name: r.name, resource: r.resource, soft: cur.soft, hard: r.hard });
    }
  }
  return { raise, set: asked.map((r) => ({ name: r.name, resource: r.resource, soft: r.soft, hard: r.hard })) };
}
